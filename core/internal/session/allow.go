package session

import (
	"slices"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// RolePlatformAdmin is the name a template's allow.roles uses for platform
// admins; "member" and "org_admin" are store.RoleMember and
// store.RoleOrgAdmin.
const RolePlatformAdmin = "platform_admin"

// templateAllows applies a template's allow block to the session's owner
// (not the caller, who may be an admin acting for them):
//
//   - no allow block: everyone;
//   - allow.orgs lists organisation slugs: the session's organisation must
//     be one of them;
//   - allow.roles lists "member", "org_admin" and "platform_admin": the
//     owner must hold one of them, as its role in the session's
//     organisation or as the platform-admin flag. Roles are not ranked:
//     ["member"] does not admit org admins; list every role you mean.
//
// When both are set, both must hold.
func templateAllows(a *config.Allow, orgSlug string, orgID uuid.UUID, owner store.Scope) bool {
	if a == nil {
		return true
	}
	if len(a.Orgs) > 0 && !slices.Contains(a.Orgs, orgSlug) {
		return false
	}
	if len(a.Roles) == 0 {
		return true
	}
	if role, ok := owner.Orgs[orgID]; ok && slices.Contains(a.Roles, string(role)) {
		return true
	}
	return owner.PlatformAdmin && slices.Contains(a.Roles, RolePlatformAdmin)
}
