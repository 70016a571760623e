package api

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// TestSessionOwnerMustBeMember: whoever asks — a platform admin, an org
// admin or a member — a session in organisation A is admitted only for an
// owner who is a member of A, platform admins included. A refused create
// writes nothing.
func TestSessionOwnerMustBeMember(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	ctx := context.Background()
	// rootA is a platform admin who is a member of A; w.root is one who is
	// a member of nothing, as is the org admin of B.
	rootA := w.mkUser("root-a", true)
	if _, err := w.st.AddMember(ctx, store.SystemScope(), w.orgA.ID, rootA.ID, store.RoleMember); err != nil {
		t.Fatal(err)
	}
	callers := []struct {
		name string
		u    store.User
	}{{"platform admin", w.root}, {"org admin", w.adminA}, {"member", w.userA}}
	owners := []struct {
		name   string
		u      store.User
		member bool
	}{
		{"platform admin, not a member", w.root, false},
		{"platform admin, member", rootA, true},
		{"org admin of A", w.adminA, true},
		{"member of A", w.userA, true},
		{"member of B only", w.userB, false},
		{"org admin of B only", w.adminB, false},
	}
	for _, c := range callers {
		cc := w.session(c.u)
		for _, o := range owners {
			want := 202
			switch {
			case !o.member:
				want = 404
			case c.u.ID == w.userA.ID && o.u.ID != w.userA.ID:
				want = 404 // a member creates only their own sessions
			}
			before := w.digest()
			body := fmt.Sprintf(`{"template":"t","org_id":%q,"user_id":%q}`, w.orgA.ID, o.u.ID)
			r := w.do(cc, "POST", "/api/v1/sessions", body, "Origin", "http://atrium.test")
			if r.status != want {
				t.Errorf("%s creates a session owned by %s: %d %s; want %d", c.name, o.name, r.status, r.body, want)
				continue
			}
			if want == 202 {
				continue
			}
			if w.digest() != before {
				t.Errorf("%s creating for %s: the refusal changed state", c.name, o.name)
			}
			if !o.member && !strings.Contains(string(r.body), "owner-not-member") {
				t.Errorf("%s creating for %s: %s; want type owner-not-member", c.name, o.name, r.body)
			}
		}
	}
}

// TestStoreRefusesNonMemberOwner: the data layer itself refuses, even for
// the system scope that passes every other check.
func TestStoreRefusesNonMemberOwner(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	_, err := w.st.CreateSession(context.Background(), store.SystemScope(), store.NewSession{OrgID: w.orgA.ID, UserID: w.root.ID, Template: "t", Runtime: "r"})
	if err == nil || !strings.Contains(err.Error(), "not a member") {
		t.Fatalf("store admitted a session whose owner is not a member: %v", err)
	}
}
