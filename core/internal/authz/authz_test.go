package authz

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
)

func TestAllowed(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	member := store.Scope{UserID: uuid.New(), Orgs: map[uuid.UUID]store.Role{a: store.RoleMember}}
	admin := store.Scope{UserID: uuid.New(), Orgs: map[uuid.UUID]store.Role{a: store.RoleOrgAdmin, b: store.RoleMember}}
	root := store.Scope{UserID: uuid.New(), PlatformAdmin: true}
	cases := []struct {
		sc     store.Scope
		action Action
		org    uuid.UUID
		want   bool
	}{
		{member, OrgRead, a, true},
		{member, OrgUpdate, a, false},
		{member, MemberManage, a, false},
		{member, OrgRead, b, false},
		{admin, OrgUpdate, a, true},
		{admin, MemberManage, a, true},
		{admin, MemberManage, b, false},
		{admin, QuotaWrite, a, false},
		{admin, UserManage, uuid.Nil, false},
		{admin, OrgCreate, uuid.Nil, false},
		{admin, PluginsRead, uuid.Nil, false},
		{admin, MemberManage, uuid.Nil, false},
		{root, QuotaWrite, b, true},
		{root, PluginsRead, uuid.Nil, true},
	}
	for _, c := range cases {
		if got := Allowed(c.sc, c.action, c.org); got != c.want {
			t.Errorf("Allowed(%v, %s) = %v, want %v", c.sc.Orgs, c.action, got, c.want)
		}
	}
	if err := Check(member, OrgUpdate, a); !errors.Is(err, ErrForbidden) {
		t.Fatalf("Check: %v", err)
	}
}

func TestKeyAllowsMethod(t *testing.T) {
	if !KeyAllowsMethod([]string{"read"}, "GET") || KeyAllowsMethod([]string{"read"}, "POST") || KeyAllowsMethod([]string{"read"}, "DELETE") {
		t.Fatal("read scope")
	}
	if !KeyAllowsMethod([]string{"write"}, "PATCH") || KeyAllowsMethod(nil, "GET") || KeyAllowsMethod([]string{"admin"}, "GET") {
		t.Fatal("write or no scope")
	}
}
