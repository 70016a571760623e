package authz

import (
	"testing"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// TestSessionActions: only the owner opens a session; the owner and
// platform admins delete its home; org admins of its organisation do
// neither, and neither does the system scope (no user).
func TestSessionActions(t *testing.T) {
	org, owner, other := uuid.New(), uuid.New(), uuid.New()
	s := store.Session{OrgID: org, UserID: owner}
	scopes := map[string]store.Scope{
		"owner":          {UserID: owner, Orgs: map[uuid.UUID]store.Role{org: store.RoleMember}},
		"org admin":      {UserID: other, Orgs: map[uuid.UUID]store.Role{org: store.RoleOrgAdmin}},
		"platform admin": {UserID: other, PlatformAdmin: true},
		"system":         store.SystemScope(),
	}
	want := map[Action]map[string]bool{
		SessionOpen:       {"owner": true},
		SessionDeleteHome: {"owner": true, "platform admin": true, "system": true},
	}
	for action, allowed := range want {
		for name, sc := range scopes {
			if got := AllowedOnSession(sc, action, s); got != allowed[name] {
				t.Errorf("%s %s: %v, want %v", name, action, got, allowed[name])
			}
			if err := CheckSession(sc, action, s); (err == nil) != allowed[name] {
				t.Errorf("CheckSession(%s, %s) = %v", name, action, err)
			}
		}
	}
	if AllowedOnSession(store.Scope{}, SessionOpen, store.Session{}) {
		t.Error("a session without owner opened for a caller without user")
	}
}
