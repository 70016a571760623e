package store

import (
	"context"

	"github.com/google/uuid"
)

// Authenticated is the owner of a credential that authenticates: the
// active user and the scope it acts in, read in the same statement as the
// credential, so one round trip authenticates a request and every check
// (revoked, expired, suspended, memberships) sees one snapshot.
type Authenticated struct {
	User  User
	Scope Scope
}

// ownerMemberships is user u's memberships as two parallel arrays
// (ordered alike), joined to a query that has the user as u.
// The aggregate always yields one row, so a user of no organisation still
// authenticates, with no organisations.
const ownerMemberships = `CROSS JOIN LATERAL (SELECT coalesce(array_agg(m.org_id ORDER BY m.org_id), '{}') AS org_ids,
	coalesce(array_agg(m.role ORDER BY m.org_id), '{}') AS roles FROM memberships m WHERE m.user_id = u.id) ms`

// AuthenticateAPIKey finds a usable key for authentication — not revoked,
// not expired, owner active — with its owner and the owner's scope, in one
// statement. Anything else is ErrNotFound. The caller compares the hash
// in constant time and narrows the scope to the key's organisation.
func (q *Queries) AuthenticateAPIKey(ctx context.Context, prefix string) (APIKey, Authenticated, error) {
	var k APIKey
	var a Authenticated
	var orgs []uuid.UUID
	var roles []string
	dst := []any{&k.ID, &k.Prefix, &k.Hash, &k.UserID, &k.OrgID, &k.Name, &k.Scopes, &k.ExpiresAt, &k.LastUsedAt, &k.RevokedAt, &k.CreatedAt}
	dst = append(append(dst, userTargets(&a.User)...), &orgs, &roles)
	err := q.db.QueryRow(ctx, `SELECT `+apiKeyCols+`, `+userCols+`, ms.org_ids, ms.roles
		FROM api_keys k JOIN users u ON u.id = k.user_id `+ownerMemberships+`
		WHERE k.prefix = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
		  AND u.status = 'active'`, prefix).Scan(dst...)
	if err != nil {
		return APIKey{}, Authenticated{}, classify(err, "authenticate API key")
	}
	a.Scope = scopeOf(a.User.ID, a.User.PlatformAdmin, orgs, roles)
	return k, a, nil
}

// AuthenticateLoginSession finds a live login session by its token's hash
// — not revoked, not expired, owner active — with its owner and the
// owner's scope, in one statement. Anything else is ErrNotFound. The
// caller applies the idle timeout (LastSeenAt).
func (q *Queries) AuthenticateLoginSession(ctx context.Context, tokenHash []byte) (LoginSession, Authenticated, error) {
	var s LoginSession
	var a Authenticated
	var orgs []uuid.UUID
	var roles []string
	dst := []any{&s.ID, &s.TokenHash, &s.CSRFHash, &s.UserID, &s.CreatedAt, &s.ExpiresAt, &s.LastSeenAt, &s.RevokedAt,
		&s.IP, &s.UserAgent, &s.AuthPlugin, &s.PluginSessionData}
	dst = append(append(dst, userTargets(&a.User)...), &orgs, &roles)
	err := q.db.QueryRow(ctx, `SELECT `+loginSessionCols+`, `+userCols+`, ms.org_ids, ms.roles
		FROM login_sessions s JOIN users u ON u.id = s.user_id `+ownerMemberships+`
		WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.status = 'active'`,
		tokenHash).Scan(dst...)
	if err != nil {
		return LoginSession{}, Authenticated{}, classify(err, "authenticate login session")
	}
	a.Scope = scopeOf(a.User.ID, a.User.PlatformAdmin, orgs, roles)
	return s, a, nil
}

// userTargets are the scan destinations of userCols, in its order.
func userTargets(u *User) []any {
	return []any{&u.ID, &u.Username, &u.Email, &u.DisplayName, &u.PasswordHash, &u.Status, &u.PlatformAdmin, &u.CreatedAt, &u.UpdatedAt}
}

// scopeOf builds an active user's scope from its memberships' parallel
// arrays (ownerMemberships).
func scopeOf(userID uuid.UUID, platformAdmin bool, orgs []uuid.UUID, roles []string) Scope {
	sc := Scope{UserID: userID, PlatformAdmin: platformAdmin, Orgs: make(map[uuid.UUID]Role, len(orgs))}
	for i, id := range orgs {
		sc.Orgs[id] = Role(roles[i])
	}
	return sc
}
