package api

import (
	"strings"
	"testing"
)

// TestAppOriginCannotUseCoreAPI: a page on an app's origin that reaches
// the core's API with the user's cookie (same-site, so a browser may send
// it) gets no CORS grant to read any answer, and its writes are refused
// before anything happens, CSRF token or not.
func TestAppOriginCannotUseCoreAPI(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	c := w.session(w.userB)
	appOrigin := "http://" + w.sessB.ID.String() + ".apps.atrium.test"
	r := w.do(c, "GET", "/api/v1/me", "", "Origin", appOrigin)
	for k := range r.header {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			t.Errorf("the core's API answered an app origin with %s: %v", k, r.header[k])
		}
	}
	r = w.do(c, "OPTIONS", "/api/v1/sessions/"+w.sessB.ID.String()+"/stop", "", "Origin", appOrigin, "Access-Control-Request-Method", "POST")
	if r.header.Get("Access-Control-Allow-Origin") != "" || r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight from an app origin granted: %v", r.header)
	}
	before := w.digest()
	for _, path := range []string{"/stop", "/open", "/connect"} {
		r = w.do(c, "POST", "/api/v1/sessions/"+w.sessB.ID.String()+path, "", "Origin", appOrigin)
		if r.status != 403 || !strings.Contains(string(r.body), "bad-origin") {
			t.Errorf("POST %s from an app origin: %d %s", path, r.status, r.body)
		}
	}
	if w.digest() != before {
		t.Error("writes from an app origin changed state")
	}
}
