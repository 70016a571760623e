package api

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// TestOrphansPlatformAdminOnly: the orphan list and its actions answer only
// a platform admin; an adoption the configuration cannot satisfy is a 409
// problem naming the cause.
func TestOrphansPlatformAdminOnly(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	o, first, err := w.st.RecordOrphan(t0(), store.Orphan{Runtime: "r", SessionID: uuid.NewString(), UserID: w.userB.ID.String(),
		OrgID: w.orgB.ID.String(), Template: "gone", Labels: map[string]string{"atrium.template": "gone"}, RuntimeState: "running"})
	if err != nil || !first {
		t.Fatalf("RecordOrphan: %v first=%v", err, first)
	}
	for _, u := range []store.User{w.adminB, w.userB} {
		c := w.session(u)
		for _, r := range []struct{ method, path string }{
			{"GET", "/api/v1/admin/orphans"},
			{"POST", "/api/v1/admin/orphans/" + o.ID.String() + "/adopt"},
			{"POST", "/api/v1/admin/orphans/" + o.ID.String() + "/destroy"},
		} {
			res := w.do(c, r.method, r.path, "")
			if res.status != 403 || res.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s as %s: %d %s", r.method, r.path, u.Username, res.status, res.body)
			}
		}
	}

	root := w.session(w.root)
	res := w.do(root, "GET", "/api/v1/admin/orphans", "")
	var list struct {
		Items []map[string]any `json:"items"`
	}
	res.json(t, &list)
	if res.status != 200 || len(list.Items) != 1 || list.Items[0]["id"] != o.ID.String() || list.Items[0]["user_id"] != w.userB.ID.String() {
		t.Fatalf("list as platform admin: %d %s", res.status, res.body)
	}
	if strings.Contains(string(res.body), "handle") {
		t.Errorf("the list shows the runtime's handle: %s", res.body)
	}

	res = w.do(root, "POST", "/api/v1/admin/orphans/"+o.ID.String()+"/adopt", "")
	var p struct{ Type, Detail string }
	res.json(t, &p)
	if res.status != 409 || p.Type != "https://atrium.dev/problems/cannot-adopt" || !strings.Contains(p.Detail, `template "gone"`) {
		t.Fatalf("adopting an orphan of an unconfigured template: %d %s", res.status, res.body)
	}
	res = w.do(root, "POST", "/api/v1/admin/orphans/"+uuid.NewString()+"/adopt", "")
	if res.status != 404 {
		t.Fatalf("adopting an unknown orphan: %d %s", res.status, res.body)
	}
}
