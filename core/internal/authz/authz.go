// Package authz decides what an authenticated caller may do, in one place.
//
// Two questions are kept apart. Whether the caller can see an object is the
// store's business: its Scope filters every tenant query, and an object out
// of reach is ErrNotFound, which the API answers with 404. Whether the caller
// may act on an object it can see is decided here, from its roles; a refusal
// is ErrForbidden, answered with 403. Handlers therefore load the object
// through the store first and call Check second.
package authz

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// ErrForbidden means the caller can see the object but its role does not
// allow the action.
var ErrForbidden = errors.New("forbidden")

// Action is something a caller may or may not do.
type Action string

// Actions. Each names who may do it.
const (
	// OrgCreate: platform admins.
	OrgCreate Action = "org.create"
	// OrgRead: members of the organisation.
	OrgRead Action = "org.read"
	// OrgUpdate: org admins of the organisation.
	OrgUpdate Action = "org.update"
	// MemberList: members of the organisation.
	MemberList Action = "member.list"
	// MemberManage (add, change role, remove): org admins.
	MemberManage Action = "member.manage"
	// QuotaRead: members of the organisation.
	QuotaRead Action = "quota.read"
	// QuotaWrite: platform admins, so an org admin cannot raise its own
	// organisation's limits.
	QuotaWrite Action = "quota.write"
	// UserCreate: platform admins.
	UserCreate Action = "user.create"
	// UserManage (suspend, activate, grant platform admin, edit another
	// user's profile): platform admins.
	UserManage Action = "user.manage"
	// PluginsRead: platform admins; plugin status names binaries and errors.
	PluginsRead Action = "plugins.read"
	// OrphansManage (list, adopt and destroy runtime sessions the
	// database does not know): platform admins; orphans belong to no
	// organisation the database knows.
	OrphansManage Action = "orphans.manage"
)

// minimum is the least role each action needs inside the organisation;
// actions missing here need a platform admin.
var minimum = map[Action]store.Role{
	OrgRead:      store.RoleMember,
	OrgUpdate:    store.RoleOrgAdmin,
	MemberList:   store.RoleMember,
	MemberManage: store.RoleOrgAdmin,
	QuotaRead:    store.RoleMember,
}

// rank orders roles; a higher rank may do what a lower one may.
func rank(r store.Role) int {
	switch r {
	case store.RoleOrgAdmin:
		return 2
	case store.RoleMember:
		return 1
	}
	return 0
}

// Allowed reports whether the caller may do action in the organisation
// org (uuid.Nil for platform-wide actions). Platform admins may do
// everything.
func Allowed(sc store.Scope, action Action, org uuid.UUID) bool {
	if sc.PlatformAdmin {
		return true
	}
	need, ok := minimum[action]
	if !ok || org == uuid.Nil {
		return false
	}
	have, member := sc.Orgs[org]
	return member && rank(have) >= rank(need)
}

// Check is Allowed as an error: nil, or ErrForbidden naming the action.
func Check(sc store.Scope, action Action, org uuid.UUID) error {
	if Allowed(sc, action, org) {
		return nil
	}
	return fmt.Errorf("%w: your role does not allow %s", ErrForbidden, action)
}

// API key scopes.
const (
	// ScopeRead allows safe methods (GET, HEAD, OPTIONS) only.
	ScopeRead = "read"
	// ScopeWrite allows every method.
	ScopeWrite = "write"
)

// ValidKeyScope reports whether s is a scope an API key may carry.
func ValidKeyScope(s string) bool { return s == ScopeRead || s == ScopeWrite }

// KeyAllowsMethod reports whether an API key with scopes may make a request
// with the given HTTP method.
func KeyAllowsMethod(scopes []string, method string) bool {
	safe := method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
	for _, s := range scopes {
		if s == ScopeWrite || (s == ScopeRead && safe) {
			return true
		}
	}
	return false
}
