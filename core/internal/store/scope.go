package store

import (
	"context"
	"fmt"

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

// ScopeForUser builds the scope of an active user from the database. A
// suspended or unknown user gets ErrNotFound, so authentication that
// resolves the scope on every request also stops suspended users at once.
func (q *Queries) ScopeForUser(ctx context.Context, userID uuid.UUID) (Scope, error) {
	sc := Scope{UserID: userID, Orgs: map[uuid.UUID]Role{}}
	err := q.db.QueryRow(ctx, `SELECT platform_admin FROM users WHERE id = $1 AND status = 'active'`, userID).Scan(&sc.PlatformAdmin)
	if err != nil {
		return Scope{}, classify(err, "load user for scope")
	}
	rows, err := q.db.Query(ctx, `SELECT org_id, role FROM memberships WHERE user_id = $1`, userID)
	if err != nil {
		return Scope{}, fmt.Errorf("load memberships for scope: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var r Role
		if err := rows.Scan(&id, &r); err != nil {
			return Scope{}, fmt.Errorf("load memberships for scope: %w", err)
		}
		sc.Orgs[id] = r
	}
	if err := rows.Err(); err != nil {
		return Scope{}, fmt.Errorf("load memberships for scope: %w", err)
	}
	return sc, nil
}
