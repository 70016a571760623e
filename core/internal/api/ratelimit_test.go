package api

import (
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/ratelimit"
)

// TestSessionWritesRateLimited: past the per-user burst, and past the
// per-address burst for another user, create, connect and open answer 429
// problem+json with Retry-After, and do nothing.
func TestSessionWritesRateLimited(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	w.srv.limits = requestLimits{user: ratelimit.New(time.Hour, 3), addr: ratelimit.New(time.Hour, 5)}
	b := w.session(w.userB)
	origin := []string{"Origin", "http://atrium.test"}
	path := "/api/v1/sessions/" + w.sessB.ID.String()
	for _, p := range []string{"/connect", "/open", "/connect"} {
		if r := w.do(b, "POST", path+p, "", origin...); r.status == 429 {
			t.Fatalf("POST %s within the burst: 429", p)
		}
	}
	check := func(name string, r response) {
		t.Helper()
		if r.status != 429 || r.header.Get("Retry-After") == "" || r.header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s: %d Retry-After %q %s; want 429 problem+json with Retry-After", name, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	before := w.digest()
	check("connect past the user's burst", w.do(b, "POST", path+"/connect", "", origin...))
	check("create past the user's burst", w.do(b, "POST", "/api/v1/sessions", `{"template":"t"}`, origin...))
	if w.digest() != before {
		t.Error("a limited request changed state")
	}
	a := w.session(w.userA)
	for range 2 {
		_ = w.do(a, "POST", "/api/v1/sessions/"+w.sessB.ID.String()+"/open", "", origin...)
	}
	check("another user past the address's burst", w.do(a, "POST", "/api/v1/sessions/"+w.sessB.ID.String()+"/open", "", origin...))
}
