package sso

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// desiredRoles is what an auth block's mapping gives a set of groups: the
// highest role per organisation slug.
func desiredRoles(a *config.Auth, groups []string) map[string]store.Role {
	want := map[string]store.Role{}
	for _, m := range a.GroupMappings {
		if !slices.Contains(groups, m.Group) {
			continue
		}
		role := store.Role(m.Role)
		if cur, ok := want[m.Org]; !ok || (cur == store.RoleMember && role == store.RoleOrgAdmin) {
			want[m.Org] = role
		}
	}
	return want
}

// applyMapping brings the user's mapped memberships and mapped platform
// admin flag in line with the groups, auditing every change. Memberships a
// person granted are left alone; mapped ones the groups no longer give are
// removed.
func (s *Service) applyMapping(ctx context.Context, q *store.Queries, a *config.Auth, u store.User, groups []string, ip string) error {
	src := source(a.Name)
	want := desiredRoles(a, groups)
	slugs := make([]string, 0, len(want))
	for slug := range want {
		slugs = append(slugs, slug)
	}
	sort.Strings(slugs)
	ids, err := q.OrgIDsBySlug(ctx, slugs)
	if err != nil {
		return err
	}
	for _, slug := range slugs {
		if _, ok := ids[slug]; !ok {
			return fmt.Errorf("%w: auth %q maps your groups into organisation %q, which does not exist; an admin must create it or fix the map_group block",
				ErrRefused, a.Name, slug)
		}
	}
	have, err := q.UserMemberships(ctx, u.ID)
	if err != nil {
		return err
	}
	current := map[uuid.UUID]store.MappedMembership{}
	for _, m := range have {
		current[m.OrgID] = m
	}
	audit := func(action string, org uuid.UUID, details map[string]any) error {
		details["auth"] = a.Name
		return q.Audit(ctx, store.AuditEntry{
			Actor: store.Actor{UserID: &u.ID, IP: ip}, OrgID: &org, Action: action,
			TargetType: "membership", TargetID: u.ID.String(), Details: details,
		})
	}

	wanted := map[uuid.UUID]bool{}
	for _, slug := range slugs {
		org, role := ids[slug], want[slug]
		wanted[org] = true
		cur, exists := current[org]
		if exists && (cur.Source != src || cur.Role == role) {
			continue // a person's grant, or already right
		}
		if _, err := q.PutMappedMembership(ctx, org, u.ID, role, src); err != nil {
			return err
		}
		action, details := "membership.create", map[string]any{"role": string(role), "org": slug}
		if exists {
			action, details["previous_role"] = "membership.update", string(cur.Role)
		}
		if err := audit(action, org, details); err != nil {
			return err
		}
	}
	for org, cur := range current {
		if cur.Source != src || wanted[org] {
			continue
		}
		if err := q.DeleteMappedMembership(ctx, org, u.ID, src); err != nil {
			return err
		}
		if err := audit("membership.delete", org, map[string]any{"role": string(cur.Role), "reason": "group no longer mapped"}); err != nil {
			return err
		}
	}

	if len(a.PlatformAdminGroups) == 0 {
		return nil
	}
	admin := slices.ContainsFunc(groups, func(g string) bool { return slices.Contains(a.PlatformAdminGroups, g) })
	changed, err := q.SetMappedPlatformAdmin(ctx, u.ID, admin, src)
	if err != nil || !changed {
		return err
	}
	return q.Audit(ctx, store.AuditEntry{
		Actor: store.Actor{UserID: &u.ID, IP: ip}, Action: "user.platform_admin", TargetType: "user", TargetID: u.ID.String(),
		Details: map[string]any{"auth": a.Name, "platform_admin": admin},
	})
}
