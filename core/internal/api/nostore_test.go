package api

import (
	"fmt"
	"testing"
)

// TestAPIAnswersAreNotStored: every API answer — with credentials
// (login, /me's CSRF token, a new API key), with personal data (users,
// sessions), refusals and unknown routes — says Cache-Control: no-store and
// Pragma: no-cache.
func TestAPIAnswersAreNotStored(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	c := w.session(w.userB)
	root := w.session(w.root)
	for _, r := range []struct {
		name string
		resp response
	}{
		{"login", w.do(caller{}, "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":"user-b","password":%q}`, testPassword))},
		{"failed login", w.do(caller{}, "POST", "/api/v1/auth/login", `{"username":"user-b","password":"wrong password!"}`)},
		{"me", w.do(c, "GET", "/api/v1/me", "")},
		{"new api key", w.do(c, "POST", "/api/v1/api-keys", `{"name":"k","scopes":["read"]}`, "Origin", "http://atrium.test")},
		{"api keys", w.do(c, "GET", "/api/v1/api-keys", "")},
		{"users", w.do(root, "GET", "/api/v1/users", "")},
		{"sessions", w.do(c, "GET", "/api/v1/sessions", "")},
		{"session", w.do(c, "GET", "/api/v1/sessions/"+w.sessB.ID.String(), "")},
		{"unauthenticated", w.do(caller{}, "GET", "/api/v1/me", "")},
		{"no such route", w.do(c, "GET", "/api/v1/nothing-here", "")},
	} {
		if r.resp.status >= 500 {
			t.Errorf("%s: %d %s", r.name, r.resp.status, r.resp.body)
		}
		if got := r.resp.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s (%d): Cache-Control %q, want no-store", r.name, r.resp.status, got)
		}
		if got := r.resp.header.Get("Pragma"); got != "no-cache" {
			t.Errorf("%s (%d): Pragma %q, want no-cache", r.name, r.resp.status, got)
		}
	}
}
