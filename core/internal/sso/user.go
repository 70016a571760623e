package sso

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/names"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/auth"
)

// findOrCreateUser returns the user linked to the identity (by issuer and
// subject only), or creates one when the auth block allows signup.
func (s *Service) findOrCreateUser(ctx context.Context, q *store.Queries, a *config.Auth, ident auth.Identity, ip string) (store.User, bool, error) {
	link, err := q.IdentityBySubject(ctx, ident.Issuer, ident.Subject)
	switch {
	case err == nil:
		u, err := q.GetUser(ctx, store.SystemScope(), link.UserID)
		if err != nil {
			return store.User{}, false, fmt.Errorf("load the user linked to this identity: %w", err)
		}
		if u.Status != store.UserActive {
			return store.User{}, false, fmt.Errorf("%w: user %s is suspended; an admin must reactivate it", ErrRefused, u.Username)
		}
		if _, err := q.UpsertIdentity(ctx, store.Identity{UserID: u.ID, Issuer: ident.Issuer, Subject: ident.Subject, Email: ident.Email}); err != nil {
			return store.User{}, false, err
		}
		return u, false, nil
	case !errors.Is(err, store.ErrNotFound):
		return store.User{}, false, err
	case !a.AllowSignup:
		return store.User{}, false, fmt.Errorf("%w: no Atrium user is linked to this %s account and auth %q does not allow signup; ask an admin to create your user",
			ErrRefused, a.DisplayName, a.Name)
	}

	u, err := createUser(ctx, q, ident)
	if err != nil {
		return store.User{}, false, err
	}
	if _, err := q.UpsertIdentity(ctx, store.Identity{UserID: u.ID, Issuer: ident.Issuer, Subject: ident.Subject, Email: ident.Email}); err != nil {
		return store.User{}, false, err
	}
	err = q.Audit(ctx, store.AuditEntry{
		Actor: store.Actor{UserID: &u.ID, IP: ip}, Action: "user.create", TargetType: "user", TargetID: u.ID.String(),
		Details: map[string]any{"auth": a.Name, "username": u.Username, "issuer": ident.Issuer, "subject": ident.Subject},
	})
	return u, true, err
}

// maxUsernameTries bounds numbered suffixes before a random one.
const maxUsernameTries = 20

// createUser creates a user named after the identity, numbering the name
// when it is taken. Each try runs in a savepoint, so a taken name does not
// abort the login's transaction.
func createUser(ctx context.Context, q *store.Queries, ident auth.Identity) (store.User, error) {
	base := usernameFor(ident)
	for i := 1; i <= maxUsernameTries+1; i++ {
		name := base
		switch {
		case i > maxUsernameTries:
			b := make([]byte, 3)
			_, _ = rand.Read(b)
			name = base + "-" + hex.EncodeToString(b)
		case i > 1:
			name = fmt.Sprintf("%s-%d", base, i)
		}
		var u store.User
		err := q.InTx(ctx, func(q *store.Queries) error {
			var err error
			// The provider decides these: normalise, never refuse a login.
			u, err = q.CreateUser(ctx, store.NewUser{Username: name, Email: names.SanitizeEmail(ident.Email), DisplayName: names.SanitizeDisplayName(ident.Name)})
			return err
		})
		if err == nil {
			return u, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return store.User{}, fmt.Errorf("create user %s: %w", name, err)
		}
	}
	return store.User{}, fmt.Errorf("create user: every name like %q is taken; create the user by hand and link it", base)
}

// usernameFor derives a username from the provider's preferred username,
// else the e-mail's local part: lower-case letters, digits, '.', '_' and
// '-', at most 40 characters.
func usernameFor(ident auth.Identity) string {
	raw := ident.Username
	if raw == "" {
		raw, _, _ = strings.Cut(ident.Email, "@")
	}
	var b strings.Builder
	for _, r := range strings.ToLower(raw) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' || r == '_' || r == '-' {
			b.WriteRune(r)
		}
		if b.Len() >= 40 {
			break
		}
	}
	if name := strings.Trim(b.String(), ".-_"); name != "" {
		return name
	}
	return "user"
}
