package store_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// fixture is a small world: two organisations with an admin and a member
// each, and a platform admin.
type fixture struct {
	s             *store.Store
	orgA, orgB    store.Org
	adminA, userA store.User
	adminB, userB store.User
	root          store.User
	scAdminA      store.Scope
	scUserA       store.Scope
	scUserB       store.Scope
	scRoot        store.Scope
	sessA, sessA2 store.Session // userA's, adminA's in org A
	sessB         store.Session // userB's in org B
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{s: storetest.Open(t)}
	sys := store.SystemScope()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	f.orgA, err = f.s.CreateOrg(ctx, "org-a", "Org A")
	must(err)
	f.orgB, err = f.s.CreateOrg(ctx, "org-b", "Org B")
	must(err)
	mk := func(name string, admin bool) store.User {
		u, err := f.s.CreateUser(ctx, store.NewUser{Username: name, Email: name + "@example.test", PlatformAdmin: admin})
		must(err)
		return u
	}
	f.adminA, f.userA, f.adminB, f.userB, f.root = mk("admin-a", false), mk("user-a", false), mk("admin-b", false), mk("user-b", false), mk("root", true)
	for _, m := range []struct {
		org  store.Org
		user store.User
		role store.Role
	}{{f.orgA, f.adminA, store.RoleOrgAdmin}, {f.orgA, f.userA, store.RoleMember}, {f.orgB, f.adminB, store.RoleOrgAdmin}, {f.orgB, f.userB, store.RoleMember}} {
		_, err := f.s.AddMember(ctx, sys, m.org.ID, m.user.ID, m.role)
		must(err)
	}
	scope := func(u store.User) store.Scope {
		sc, err := f.s.ScopeForUser(ctx, u.ID)
		must(err)
		return sc
	}
	f.scAdminA, f.scUserA, f.scUserB, f.scRoot = scope(f.adminA), scope(f.userA), scope(f.userB), scope(f.root)
	newSess := func(sc store.Scope, org store.Org, u store.User) store.Session {
		s, err := f.s.CreateSession(ctx, sc, store.NewSession{OrgID: org.ID, UserID: u.ID, Template: "desktop", Runtime: "docker", CPUMillis: 1000, MemoryBytes: 1 << 30})
		must(err)
		return s
	}
	f.sessA = newSess(f.scUserA, f.orgA, f.userA)
	f.sessA2 = newSess(f.scAdminA, f.orgA, f.adminA)
	f.sessB = newSess(f.scUserB, f.orgB, f.userB)
	return f
}

func ptr[T any](v T) *T { return &v }

func ids[T any](items []T, id func(T) uuid.UUID) map[uuid.UUID]bool {
	m := map[uuid.UUID]bool{}
	for _, it := range items {
		m[id(it)] = true
	}
	return m
}

// sqlState is the SQLSTATE of a PostgreSQL error, "" for anything else.
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
