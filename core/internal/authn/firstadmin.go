package authn

import (
	"context"
	"errors"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// DefaultOrgSlug names the organisation the first admin gets.
const DefaultOrgSlug = "default"

// CreateFirstAdmin creates a platform admin, the default organisation
// (unless it exists) and the admin's org_admin membership in it, auditing
// each. Call it inside InTx; both POST /api/v1/setup and
// `atrium admin create-user` use it.
func CreateFirstAdmin(ctx context.Context, q *store.Queries, nu store.NewUser, ip string) (store.User, store.Org, error) {
	nu.PlatformAdmin = true
	u, err := q.CreateUser(ctx, nu)
	if err != nil {
		return store.User{}, store.Org{}, err
	}
	actor := store.Actor{IP: ip}
	if err := q.Audit(ctx, store.AuditEntry{Actor: actor, Action: "user.create", TargetType: "user", TargetID: u.ID.String(),
		Details: map[string]any{"username": u.Username, "platform_admin": true, "via": "setup"}}); err != nil {
		return store.User{}, store.Org{}, err
	}
	sys := store.SystemScope()
	o, err := q.GetOrgBySlug(ctx, sys, DefaultOrgSlug)
	if errors.Is(err, store.ErrNotFound) {
		if o, err = q.CreateOrg(ctx, DefaultOrgSlug, "Default"); err == nil {
			err = q.Audit(ctx, store.AuditEntry{Actor: actor, OrgID: &o.ID, Action: "org.create", TargetType: "org", TargetID: o.ID.String(),
				Details: map[string]any{"slug": o.Slug}})
		}
	}
	if err != nil {
		return store.User{}, store.Org{}, err
	}
	if _, err := q.AddMember(ctx, sys, o.ID, u.ID, store.RoleOrgAdmin); err != nil {
		return store.User{}, store.Org{}, err
	}
	err = q.Audit(ctx, store.AuditEntry{Actor: actor, OrgID: &o.ID, Action: "member.add", TargetType: "user", TargetID: u.ID.String(),
		Details: map[string]any{"role": string(store.RoleOrgAdmin)}})
	return u, o, err
}
