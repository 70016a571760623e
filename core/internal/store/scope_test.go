package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/google/uuid"
)

// TestOrgScoping: a caller in org A reading org B's objects gets
// ErrNotFound, exactly as for objects that do not exist, and lists leave
// org B's rows out.
func TestOrgScoping(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := f.scUserA

	notFound := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", what, err)
		}
	}
	_, err := f.s.GetOrg(ctx, a, f.orgB.ID)
	notFound("get org B", err)
	_, err = f.s.GetOrg(ctx, a, uuid.New())
	notFound("get unknown org", err)
	_, err = f.s.GetOrgBySlug(ctx, a, "org-b")
	notFound("get org B by slug", err)
	_, err = f.s.RenameOrg(ctx, a, f.orgB.ID, "mine now")
	notFound("rename org B", err)
	_, err = f.s.GetUser(ctx, a, f.userB.ID)
	notFound("get user B", err)
	_, err = f.s.SetUserStatus(ctx, a, f.userB.ID, store.UserSuspended)
	notFound("suspend user B", err)
	_, err = f.s.GetSession(ctx, a, f.sessB.ID)
	notFound("get session B", err)
	_, err = f.s.TransitionSession(ctx, a, f.sessB.ID, store.Transition{To: store.StateStopping})
	notFound("stop session B", err)
	_, err = f.s.SetSessionHandle(ctx, a, f.sessB.ID, "x", 1, nil)
	notFound("set handle of session B", err)
	_, err = f.s.SessionEvents(ctx, a, f.sessB.ID)
	notFound("events of session B", err)
	_, err = f.s.CreateSession(ctx, a, store.NewSession{OrgID: f.orgB.ID, UserID: f.userA.ID, Template: "t", Runtime: "r"})
	notFound("create session in org B", err)
	_, err = f.s.AddMember(ctx, a, f.orgB.ID, f.userA.ID, store.RoleOrgAdmin)
	notFound("join org B", err)
	_, err = f.s.SetMemberRole(ctx, a, f.orgB.ID, f.userB.ID, store.RoleOrgAdmin)
	notFound("change role in org B", err)
	notFound("remove member of org B", f.s.RemoveMember(ctx, a, f.orgB.ID, f.userB.ID))
	_, _, err = f.s.ListMembers(ctx, a, f.orgB.ID, store.Page{})
	notFound("list org B members", err)
	_, err = f.s.GetQuota(ctx, a, store.QuotaTarget{Scope: store.QuotaOrg, ID: f.orgB.ID})
	notFound("org B quota", err)

	// Members see only their own sessions; org admins all of their org's.
	_, err = f.s.GetSession(ctx, a, f.sessA2.ID)
	notFound("member reading the admin's session", err)
	if _, err := f.s.GetSession(ctx, f.scAdminA, f.sessA.ID); err != nil {
		t.Errorf("org admin reading a member's session: %v", err)
	}
	if _, err := f.s.GetSession(ctx, f.scRoot, f.sessB.ID); err != nil {
		t.Errorf("platform admin reading session B: %v", err)
	}

	orgs, _, err := f.s.ListOrgs(ctx, a, store.Page{})
	if err != nil || len(orgs) != 1 || orgs[0].ID != f.orgA.ID {
		t.Errorf("user A's orgs: %+v %v", orgs, err)
	}
	orgs, _, _ = f.s.ListOrgs(ctx, f.scRoot, store.Page{})
	if len(orgs) != 2 {
		t.Errorf("platform admin sees %d orgs, want 2", len(orgs))
	}
	users, _, err := f.s.ListUsers(ctx, a, store.UserFilter{}, store.Page{})
	got := ids(users, func(u store.User) uuid.UUID { return u.ID })
	if err != nil || len(users) != 2 || !got[f.userA.ID] || !got[f.adminA.ID] {
		t.Errorf("user A's users: %+v %v", users, err)
	}
	users, _, _ = f.s.ListUsers(ctx, a, store.UserFilter{OrgID: &f.orgB.ID}, store.Page{})
	if len(users) != 0 {
		t.Errorf("user A listing org B's members saw %d", len(users))
	}
	sessions, _, err := f.s.ListSessions(ctx, f.scAdminA, store.SessionFilter{}, store.Page{})
	got = ids(sessions, func(s store.Session) uuid.UUID { return s.ID })
	if err != nil || len(sessions) != 2 || got[f.sessB.ID] {
		t.Errorf("org A admin's sessions: %d %v", len(sessions), err)
	}
	sessions, _, _ = f.s.ListSessions(ctx, a, store.SessionFilter{}, store.Page{})
	if len(sessions) != 1 || sessions[0].ID != f.sessA.ID {
		t.Errorf("member's sessions: %+v", sessions)
	}
	sessions, _, _ = f.s.ListSessions(ctx, a, store.SessionFilter{OrgID: &f.orgB.ID}, store.Page{})
	if len(sessions) != 0 {
		t.Errorf("filter on org B leaked %d sessions", len(sessions))
	}
}

func TestAPIKeyScoping(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	kb, err := f.s.CreateAPIKey(ctx, store.NewAPIKey{Prefix: "atr_b1", Hash: []byte{1}, UserID: f.userB.ID, OrgID: &f.orgB.ID, Name: "ci", Scopes: []string{"sessions:read"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RevokeAPIKey(ctx, f.scUserA, kb.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("user A revoking B's key: %v", err)
	}
	if ks, err := f.s.ListAPIKeys(ctx, f.scUserA, f.userB.ID); err != nil || len(ks) != 0 {
		t.Fatalf("user A listing B's keys: %+v %v", ks, err)
	}
	ks, err := f.s.ListAPIKeys(ctx, f.scUserB, f.userB.ID)
	if err != nil || len(ks) != 1 || ks[0].Scopes[0] != "sessions:read" {
		t.Fatalf("own keys: %+v %v", ks, err)
	}
}
