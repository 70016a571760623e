package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// probe is one request a caller from organisation A makes with the ids of
// organisation B.
type probe struct {
	method, path, body string
	// want is the status for an org A admin's login session; wantKey, when
	// not zero, for its read-write API key.
	want, wantKey int
	// noB: the answer must not mention any of B's objects.
	noB bool
	// own: the request may change the caller's own rows; B's must stay.
	own bool
}

// crossOrg lists, for every authenticated route ("METHOD path" as Fiber
// registers it), what happens when org A uses org B's ids. A new route
// without an entry here fails TestEveryRouteInCrossOrgMatrix.
var crossOrg = map[string]func(w *world) []probe{
	"POST /api/v1/auth/logout": func(w *world) []probe {
		return []probe{{method: "POST", path: "/api/v1/auth/logout", want: 204, wantKey: 400, own: true}}
	},
	"GET /api/v1/me": func(w *world) []probe {
		return []probe{{method: "GET", path: "/api/v1/me", want: 200, noB: true}}
	},
	"PATCH /api/v1/me": func(w *world) []probe {
		return []probe{{method: "PATCH", path: "/api/v1/me", body: `{"display_name":"A person"}`, want: 200, own: true, noB: true}}
	},
	"GET /api/v1/orgs": func(w *world) []probe {
		return []probe{{method: "GET", path: "/api/v1/orgs", want: 200, noB: true}}
	},
	"POST /api/v1/orgs": func(w *world) []probe {
		return []probe{{method: "POST", path: "/api/v1/orgs", body: `{"slug":"org-b-too","name":"B too"}`, want: 403}}
	},
	"GET /api/v1/orgs/:org": func(w *world) []probe {
		return []probe{{method: "GET", path: w.orgPath(w.orgB), want: 404, noB: true}}
	},
	"PATCH /api/v1/orgs/:org": func(w *world) []probe {
		return []probe{{method: "PATCH", path: w.orgPath(w.orgB), body: `{"name":"taken over"}`, want: 404, noB: true}}
	},
	"GET /api/v1/orgs/:org/members": func(w *world) []probe {
		return []probe{{method: "GET", path: w.orgPath(w.orgB) + "/members", want: 404, noB: true}}
	},
	"POST /api/v1/orgs/:org/members": func(w *world) []probe {
		return []probe{
			{method: "POST", path: w.orgPath(w.orgB) + "/members", body: fmt.Sprintf(`{"user_id":%q,"role":"org_admin"}`, w.adminA.ID), want: 404, noB: true},
			{method: "POST", path: w.orgPath(w.orgA) + "/members", body: fmt.Sprintf(`{"user_id":%q}`, w.userB.ID), want: 404, noB: true},
		}
	},
	"PATCH /api/v1/orgs/:org/members/:user": func(w *world) []probe {
		return []probe{
			{method: "PATCH", path: w.orgPath(w.orgB) + "/members/" + w.userB.ID.String(), body: `{"role":"org_admin"}`, want: 404, noB: true},
			{method: "PATCH", path: w.orgPath(w.orgA) + "/members/" + w.userB.ID.String(), body: `{"role":"org_admin"}`, want: 404, noB: true},
		}
	},
	"DELETE /api/v1/orgs/:org/members/:user": func(w *world) []probe {
		return []probe{
			{method: "DELETE", path: w.orgPath(w.orgB) + "/members/" + w.userB.ID.String(), want: 404, noB: true},
			{method: "DELETE", path: w.orgPath(w.orgA) + "/members/" + w.userB.ID.String(), want: 404, noB: true},
		}
	},
	"GET /api/v1/orgs/:org/quota": func(w *world) []probe {
		return []probe{{method: "GET", path: w.orgPath(w.orgB) + "/quota", want: 404, noB: true}}
	},
	"PUT /api/v1/orgs/:org/quota": func(w *world) []probe {
		return []probe{{method: "PUT", path: w.orgPath(w.orgB) + "/quota", body: `{"max_sessions":100}`, want: 404, noB: true}}
	},
	"GET /api/v1/users": func(w *world) []probe {
		return []probe{
			{method: "GET", path: "/api/v1/users", want: 200, noB: true},
			{method: "GET", path: "/api/v1/users?org=" + w.orgB.ID.String(), want: 200, noB: true},
		}
	},
	"POST /api/v1/users": func(w *world) []probe {
		return []probe{{method: "POST", path: "/api/v1/users", body: fmt.Sprintf(`{"username":"intruder","org_id":%q}`, w.orgB.ID), want: 403}}
	},
	"GET /api/v1/users/:user": func(w *world) []probe {
		return []probe{{method: "GET", path: "/api/v1/users/" + w.userB.ID.String(), want: 404, noB: true}}
	},
	"PATCH /api/v1/users/:user": func(w *world) []probe {
		return []probe{{method: "PATCH", path: "/api/v1/users/" + w.userB.ID.String(), body: `{"status":"suspended"}`, want: 404, noB: true}}
	},
	"GET /api/v1/api-keys": func(w *world) []probe {
		return []probe{
			{method: "GET", path: "/api/v1/api-keys", want: 200, noB: true},
			{method: "GET", path: "/api/v1/api-keys?user=" + w.userB.ID.String(), want: 404, noB: true},
		}
	},
	"POST /api/v1/api-keys": func(w *world) []probe {
		return []probe{{method: "POST", path: "/api/v1/api-keys", body: fmt.Sprintf(`{"name":"x","org_id":%q}`, w.orgB.ID), want: 404, wantKey: 403, noB: true}}
	},
	"DELETE /api/v1/api-keys/:key": func(w *world) []probe {
		return []probe{{method: "DELETE", path: "/api/v1/api-keys/" + w.keyB.ID.String(), want: 404, noB: true}}
	},
	"GET /api/v1/audit": func(w *world) []probe {
		return []probe{
			{method: "GET", path: "/api/v1/audit", want: 200, noB: true},
			{method: "GET", path: "/api/v1/audit?org=" + w.orgB.ID.String(), want: 200, noB: true},
			{method: "GET", path: "/api/v1/audit?actor=" + w.userB.ID.String(), want: 200, noB: true},
		}
	},
	// Platform-wide and platform-admin only: an org admin is refused.
	"GET /api/v1/plugins": func(w *world) []probe {
		return []probe{{method: "GET", path: "/api/v1/plugins", want: 403}}
	},
	"GET /api/v1/plugins/:name": func(w *world) []probe {
		return []probe{{method: "GET", path: "/api/v1/plugins/runtime.b", want: 403}}
	},
	"GET /api/v1/templates": func(w *world) []probe {
		return []probe{{method: "GET", path: "/api/v1/templates?org=" + w.orgB.ID.String(), want: 404, noB: true}}
	},
	"GET /api/v1/sessions": func(w *world) []probe {
		return []probe{
			{method: "GET", path: "/api/v1/sessions", want: 200, noB: true},
			{method: "GET", path: "/api/v1/sessions?org=" + w.orgB.ID.String(), want: 200, noB: true},
			{method: "GET", path: "/api/v1/sessions?user=" + w.userB.ID.String() + "&all=true", want: 200, noB: true},
		}
	},
	"POST /api/v1/sessions": func(w *world) []probe {
		return []probe{
			{method: "POST", path: "/api/v1/sessions", body: fmt.Sprintf(`{"template":"t","org_id":%q}`, w.orgB.ID), want: 404, noB: true},
			{method: "POST", path: "/api/v1/sessions", body: fmt.Sprintf(`{"template":"t","org_id":%q,"user_id":%q}`, w.orgA.ID, w.userB.ID), want: 404, noB: true},
		}
	},
	// The event stream never ends, so the generic probe cannot read it;
	// session.TestWatcherShowsOnlyVisibleSessions shows a subscriber sees
	// only the sessions its scope reaches.
	"GET /api/v1/sessions/events": func(w *world) []probe { return nil },
	"GET /api/v1/admin/orphans": func(w *world) []probe {
		return []probe{{method: "GET", path: "/api/v1/admin/orphans", want: 403}}
	},
	"POST /api/v1/admin/orphans/:orphan/adopt": func(w *world) []probe {
		return []probe{{method: "POST", path: "/api/v1/admin/orphans/" + uuid.NewString() + "/adopt", want: 403}}
	},
	"POST /api/v1/admin/orphans/:orphan/destroy": func(w *world) []probe {
		return []probe{{method: "POST", path: "/api/v1/admin/orphans/" + uuid.NewString() + "/destroy", want: 403}}
	},
	"GET /api/v1/sessions/:session": func(w *world) []probe {
		return []probe{{method: "GET", path: w.sessPath(), want: 404, noB: true}}
	},
	"DELETE /api/v1/sessions/:session": func(w *world) []probe {
		return []probe{{method: "DELETE", path: w.sessPath() + "?remove_home=true", want: 404, noB: true}}
	},
	"POST /api/v1/sessions/:session/stop": func(w *world) []probe {
		return []probe{{method: "POST", path: w.sessPath() + "/stop", want: 404, noB: true}}
	},
	"POST /api/v1/sessions/:session/hibernate": func(w *world) []probe {
		return []probe{{method: "POST", path: w.sessPath() + "/hibernate", want: 404, noB: true}}
	},
	"POST /api/v1/sessions/:session/resume": func(w *world) []probe {
		return []probe{{method: "POST", path: w.sessPath() + "/resume", want: 404, noB: true}}
	},
	"POST /api/v1/sessions/:session/connect": func(w *world) []probe {
		return []probe{{method: "POST", path: w.sessPath() + "/connect", want: 404, noB: true}}
	},
	"POST /api/v1/sessions/:session/open": func(w *world) []probe {
		return []probe{{method: "POST", path: w.sessPath() + "/open", want: 404, noB: true}}
	},
}

func (w *world) sessPath() string { return "/api/v1/sessions/" + w.sessB.ID.String() }

func (w *world) orgPath(o store.Org) string { return "/api/v1/orgs/" + o.ID.String() }

// registered lists the app's routes as "METHOD path", without the HEAD
// routes Fiber adds for every GET and without middleware.
func registered(s *Server) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range s.App().GetRoutes(true) {
		if r.Method == http.MethodHead || r.Method == "USE" {
			continue
		}
		k := r.Method + " " + r.Path
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// TestEveryRouteInCrossOrgMatrix fails when a route is neither public nor
// described in crossOrg, and when crossOrg names a route that is gone.
func TestEveryRouteInCrossOrgMatrix(t *testing.T) {
	s := New(Deps{})
	routes := registered(s)
	if len(routes) < 20 {
		t.Fatalf("only %d routes found: %v", len(routes), routes)
	}
	have := map[string]bool{}
	for _, r := range routes {
		have[r] = true
		_, inMatrix := crossOrg[r]
		if inMatrix == publicRoutes[r] {
			if inMatrix {
				t.Errorf("%s is public and in the cross-organisation matrix: pick one", r)
			} else {
				t.Errorf("%s has no entry in the cross-organisation matrix (crossOrg in matrix_test.go) and is not in publicRoutes", r)
			}
		}
	}
	for r := range crossOrg {
		if !have[r] {
			t.Errorf("the matrix names %s, which is not a route", r)
		}
	}
	for r := range publicRoutes {
		if !have[r] {
			t.Errorf("publicRoutes names %s, which is not a route", r)
		}
	}
}

// TestCrossOrgMatrix: an org A admin, by login session and by API key,
// using org B's ids, gets 404 (403 for platform-wide actions), lists
// without B's rows, and changes nothing.
func TestCrossOrgMatrix(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	bMarks := []string{w.orgB.ID.String(), w.adminB.ID.String(), w.userB.ID.String(), w.keyB.ID.String(), "org-b", "admin-b", "user-b", "test.b"}
	both := w.mkUser("in-both", false)
	for org, role := range map[uuid.UUID]store.Role{w.orgA.ID: store.RoleOrgAdmin, w.orgB.ID: store.RoleMember} {
		if _, err := w.st.AddMember(t0(), store.SystemScope(), org, both.ID, role); err != nil {
			t.Fatal(err)
		}
	}
	callers := []struct {
		name string
		mk   func() caller
		key  bool
	}{
		{"session", func() caller { return w.session(w.adminA) }, false},
		{"api key", func() caller { return w.apiKey(w.adminA, "read", "write") }, true},
		// A user who is org admin of A and a member of B, with a key
		// limited to A: through that key, B is as far as for adminA.
		{"org-limited key of a user in both orgs", func() caller { return w.orgKey(both, w.orgA) }, true},
	}
	routes := make([]string, 0, len(crossOrg))
	for r := range crossOrg {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, route := range routes {
		for i, p := range crossOrg[route](w) {
			for _, cl := range callers {
				t.Run(fmt.Sprintf("%s#%d/%s", route, i, cl.name), func(t *testing.T) {
					w.t = t
					c := cl.mk()
					before, bBefore := w.digest(), w.bDigest()
					r := w.do(c, p.method, p.path, p.body)
					want := p.want
					if cl.key && p.wantKey != 0 {
						want = p.wantKey
					}
					if r.status != want {
						t.Fatalf("%s %s: status %d, want %d: %s", p.method, p.path, r.status, want, r.body)
					}
					if want == 404 || want == 403 {
						w.checkDenialTraced(route, p.path, want)
					}
					if p.noB {
						body := withoutInstance(t, r.body)
						for _, m := range bMarks {
							if strings.Contains(body, m) {
								t.Errorf("%s %s: the answer mentions org B's %q: %s", p.method, p.path, m, r.body)
							}
						}
					}
					if p.own {
						if after := w.bDigest(); after != bBefore {
							t.Errorf("%s %s changed org B's rows", p.method, p.path)
						}
					} else if after := w.digest(); after != before {
						t.Errorf("%s %s changed state:\nbefore %s\nafter  %s", p.method, p.path, before, after)
					}
				})
			}
		}
	}
	w.t = t

	// The control: a platform admin reaches B through the same routes, so
	// the 404s above come from scoping, not from broken routes.
	root := w.session(w.root)
	if r := w.do(root, "GET", w.orgPath(w.orgB), ""); r.status != 200 {
		t.Fatalf("platform admin GET org B: %d %s", r.status, r.body)
	}
	if r := w.do(root, "GET", "/api/v1/users", ""); !strings.Contains(string(r.body), w.userB.ID.String()) {
		t.Fatalf("platform admin's user list lacks user B: %s", r.body)
	}
	if r := w.do(w.session(w.adminB), "GET", w.orgPath(w.orgB)+"/members", ""); r.status != 200 || !strings.Contains(string(r.body), w.userB.ID.String()) {
		t.Fatalf("org B admin listing its members: %d %s", r.status, r.body)
	}
}

// bDigest fingerprints org B's rows only.
func (w *world) bDigest() string {
	w.t.Helper()
	var s string
	err := w.st.Pool().QueryRow(t0(), `SELECT concat_ws('|',
		(SELECT string_agg(o::text, ',') FROM organisations o WHERE o.id = $1),
		(SELECT string_agg(m::text, ',' ORDER BY m.user_id) FROM memberships m WHERE m.org_id = $1),
		(SELECT string_agg(u::text, ',' ORDER BY u.id) FROM users u WHERE u.id = ANY($2)),
		(SELECT string_agg((k.id, k.revoked_at)::text, ',' ORDER BY k.id) FROM api_keys k WHERE k.user_id = ANY($2)),
		(SELECT string_agg((l.id, l.revoked_at)::text, ',' ORDER BY l.id) FROM login_sessions l WHERE l.user_id = ANY($2)),
		(SELECT string_agg(q::text, ',') FROM quotas q WHERE q.org_id = $1))`,
		w.orgB.ID, []uuid.UUID{w.adminB.ID, w.userB.ID}).Scan(&s)
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// withoutInstance drops a problem's instance, which only echoes the
// caller's own request path.
func withoutInstance(t *testing.T, body []byte) string {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, body)
	}
	delete(m, "instance")
	b, _ := json.Marshal(m)
	return string(b)
}

// orgKey mints a read-write key of u limited to org.
func (w *world) orgKey(u store.User, org store.Org) caller {
	w.t.Helper()
	secret, _, err := authn.MintAPIKey(t0(), w.st.Queries, store.NewAPIKey{UserID: u.ID, OrgID: &org.ID, Scopes: []string{"read", "write"}})
	if err != nil {
		w.t.Fatal(err)
	}
	return caller{key: secret}
}

// checkDenialTraced: the denial of route ("METHOD pattern") at path left
// a security log line naming the path, was counted in access_denials by
// its pattern, and the minute's first has an audit row.
func (w *world) checkDenialTraced(route, path string, status int) {
	w.t.Helper()
	method, pattern, _ := strings.Cut(route, " ")
	path, _, _ = strings.Cut(path, "?")
	var n, audits int
	err := w.st.Pool().QueryRow(t0(), `SELECT coalesce(sum(denials), 0),
		(SELECT count(*) FROM audit_log WHERE action = 'access.denied')
		FROM access_denials WHERE last_method = $1 AND last_route = $2 AND last_status = $3`, method, pattern, status).Scan(&n, &audits)
	if err != nil {
		w.t.Fatal(err)
	}
	if n == 0 || audits == 0 {
		w.t.Errorf("%s %s (%d) left no denial record (%d counted, %d audit rows)", method, path, status, n, audits)
	}
	if !strings.Contains(w.logs.String(), "security: request denied: user_id=") || !strings.Contains(w.logs.String(), "path="+path+" ") {
		w.t.Errorf("%s %s (%d) left no security log line", method, path, status)
	}
}
