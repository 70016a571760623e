package store

import (
	"context"

	"github.com/google/uuid"
)

// Role is a member's role inside one organisation.
type Role string

// Roles a membership can carry. Platform admin is a user flag, not a role.
const (
	RoleOrgAdmin Role = "org_admin"
	RoleMember   Role = "member"
)

// Scope is who is asking: the data layer filters every tenant read by it.
// Build it with ScopeForUser from the authenticated user, or SystemScope for
// the core's own background work.
type Scope struct {
	// UserID is the caller; uuid.Nil for the system.
	UserID uuid.UUID
	// PlatformAdmin callers see every organisation.
	PlatformAdmin bool
	// Orgs maps each organisation the caller belongs to to its role there.
	Orgs map[uuid.UUID]Role
}

// SystemScope sees everything. It is for the core itself — the reconciler,
// template sync, first-start setup — never for serving a request.
func SystemScope() Scope { return Scope{PlatformAdmin: true} }

// orgIDs lists the caller's organisations, for `= ANY($n)` in SQL.
func (s Scope) orgIDs() []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(s.Orgs))
	for id := range s.Orgs {
		ids = append(ids, id)
	}
	return ids
}

// adminOrgIDs lists the organisations where the caller is org admin.
func (s Scope) adminOrgIDs() []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(s.Orgs))
	for id, r := range s.Orgs {
		if r == RoleOrgAdmin {
			ids = append(ids, id)
		}
	}
	return ids
}

// ScopeForUser builds the scope of an active user from the database, in
// one statement. A suspended or unknown user gets ErrNotFound, so
// authentication that resolves the scope on every request also stops
// suspended users at once.
func (q *Queries) ScopeForUser(ctx context.Context, userID uuid.UUID) (Scope, error) {
	var admin bool
	var orgs []uuid.UUID
	var roles []string
	err := q.db.QueryRow(ctx, `SELECT u.platform_admin, ms.org_ids, ms.roles FROM users u `+ownerMemberships+`
		WHERE u.id = $1 AND u.status = 'active'`, userID).Scan(&admin, &orgs, &roles)
	if err != nil {
		return Scope{}, classify(err, "load scope of user")
	}
	return scopeOf(userID, admin, orgs, roles), nil
}
