package store_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// TestAuthenticateInOneStatement: the one-statement lookups of an API key
// and of a login session return the owner and its scope as ScopeForUser
// and GetUser would, and each check folded into them bites on its own: a
// revoked or expired credential, a suspended owner (whose credentials were
// not revoked), a removed membership and a changed role. Each refusal is
// undone before the next, so every case fails alone if its check is
// dropped from the statement.
func TestAuthenticateInOneStatement(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	sys := store.SystemScope()
	// userB is in org A as org admin too, so the scope has two entries.
	if _, err := f.s.AddMember(ctx, sys, f.orgA.ID, f.userB.ID, store.RoleOrgAdmin); err != nil {
		t.Fatal(err)
	}
	key, err := f.s.CreateAPIKey(ctx, store.NewAPIKey{Prefix: "atr_auth1", Hash: []byte("h"), UserID: f.userB.ID, Name: "k"})
	if err != nil {
		t.Fatal(err)
	}
	login, err := f.s.CreateLoginSession(ctx, store.NewLoginSession{TokenHash: []byte("tok-b"), CSRFHash: []byte("csrf-b"),
		UserID: f.userB.ID, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	byKey := func() (uuid.UUID, store.Authenticated, error) {
		k, a, err := f.s.AuthenticateAPIKey(ctx, "atr_auth1")
		return k.ID, a, err
	}
	bySession := func() (uuid.UUID, store.Authenticated, error) {
		s, a, err := f.s.AuthenticateLoginSession(ctx, []byte("tok-b"))
		return s.ID, a, err
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := f.s.Pool().Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	wantUser, err := f.s.GetUser(ctx, store.Scope{UserID: f.userB.ID}, f.userB.ID)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name   string
		lookup func() (uuid.UUID, store.Authenticated, error)
		id     uuid.UUID
		table  string // the credential's table, for revoked_at and expires_at
	}{
		{"api key", byKey, key.ID, "api_keys"},
		{"login session", bySession, login.ID, "login_sessions"},
	} {
		t.Run(c.name, func(t *testing.T) {
			accepted := func(when string, wantOrgs map[uuid.UUID]store.Role) {
				t.Helper()
				id, a, err := c.lookup()
				if err != nil || id != c.id {
					t.Fatalf("%s: refused or another credential: %v %v", when, id, err)
				}
				if a.User != wantUser || a.Scope.UserID != f.userB.ID || a.Scope.PlatformAdmin ||
					!maps.Equal(a.Scope.Orgs, wantOrgs) {
					t.Fatalf("%s: got %+v, want user %+v with orgs %v", when, a, wantUser, wantOrgs)
				}
			}
			refused := func(when string) {
				t.Helper()
				if _, a, err := c.lookup(); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("%s: authenticated (%+v, %v); want ErrNotFound", when, a, err)
				}
			}
			both := map[uuid.UUID]store.Role{f.orgA.ID: store.RoleOrgAdmin, f.orgB.ID: store.RoleMember}
			accepted("live", both)

			exec(`UPDATE `+c.table+` SET revoked_at = now() WHERE id = $1`, c.id)
			refused("revoked")
			exec(`UPDATE `+c.table+` SET revoked_at = NULL WHERE id = $1`, c.id)

			exec(`UPDATE `+c.table+` SET expires_at = now() - interval '1 second' WHERE id = $1`, c.id)
			refused("expired")
			exec(`UPDATE `+c.table+` SET expires_at = now() + interval '1 hour' WHERE id = $1`, c.id)

			exec(`UPDATE users SET status = 'suspended' WHERE id = $1`, f.userB.ID)
			refused("owner suspended")
			exec(`UPDATE users SET status = 'active' WHERE id = $1`, f.userB.ID)
			accepted("owner reactivated", both)

			if err := f.s.RemoveMember(ctx, sys, f.orgA.ID, f.userB.ID); err != nil {
				t.Fatal(err)
			}
			accepted("removed from org A", map[uuid.UUID]store.Role{f.orgB.ID: store.RoleMember})
			if _, err := f.s.SetMemberRole(ctx, sys, f.orgB.ID, f.userB.ID, store.RoleOrgAdmin); err != nil {
				t.Fatal(err)
			}
			accepted("promoted in org B", map[uuid.UUID]store.Role{f.orgB.ID: store.RoleOrgAdmin})
			if err := f.s.RemoveMember(ctx, sys, f.orgB.ID, f.userB.ID); err != nil {
				t.Fatal(err)
			}
			accepted("in no organisation", map[uuid.UUID]store.Role{})

			// Put the memberships back for the next credential.
			if _, err := f.s.AddMember(ctx, sys, f.orgA.ID, f.userB.ID, store.RoleOrgAdmin); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.AddMember(ctx, sys, f.orgB.ID, f.userB.ID, store.RoleMember); err != nil {
				t.Fatal(err)
			}
		})
	}

	// A platform admin's scope says so; ScopeForUser, folded the same way,
	// agrees with the lookups.
	if _, err := f.s.CreateAPIKey(ctx, store.NewAPIKey{Prefix: "atr_root1", Hash: []byte("h"), UserID: f.root.ID}); err != nil {
		t.Fatal(err)
	}
	_, a, err := f.s.AuthenticateAPIKey(ctx, "atr_root1")
	if err != nil || !a.Scope.PlatformAdmin || len(a.Scope.Orgs) != 0 {
		t.Fatalf("platform admin's key: %+v %v", a.Scope, err)
	}
	_, a, err = bySession()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := f.s.ScopeForUser(ctx, f.userB.ID)
	if err != nil || !maps.Equal(sc.Orgs, a.Scope.Orgs) || sc.UserID != a.Scope.UserID || sc.PlatformAdmin {
		t.Fatalf("ScopeForUser %+v (%v), login session lookup %+v", sc, err, a.Scope)
	}
	exec(`UPDATE users SET status = 'suspended' WHERE id = $1`, f.userB.ID)
	if _, err := f.s.ScopeForUser(ctx, f.userB.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("suspended user got a scope: %v", err)
	}
}
