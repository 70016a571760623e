package appproxy

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/ratelimit"
)

// TestWebSocketUpgradesRateLimited: past its burst an address's app
// WebSocket upgrades get 429 problem+json with Retry-After, and no tunnel
// is dialed for them.
func TestWebSocketUpgradesRateLimited(t *testing.T) {
	w := newWorld(t)
	f := w.front(appDomain)
	f.p.opts.Upgrades = ratelimit.New(time.Hour, 1)
	cookie := PlainAppCookie + "=" + w.openApp(f, w.sessA, w.userA, w.loginA)
	origin := f.appURL(w.sessA)
	wsURL := strings.Replace(origin, "http://", "ws://", 1) + "/ws"
	ws, _, err := f.dialWS(t, wsURL, origin, cookie)
	if err != nil {
		t.Fatalf("first upgrade: %v", err)
	}
	defer ws.Close()
	dials := w.tun.count(w.sessA.ID)
	_, resp, err := f.dialWS(t, wsURL, origin, cookie)
	if err == nil || resp == nil {
		t.Fatalf("second upgrade: %v; want an HTTP refusal", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "rate-limited") {
		t.Fatalf("second upgrade: %d Retry-After %q %s; want 429 rate-limited", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	if w.tun.count(w.sessA.ID) != dials {
		t.Error("a refused upgrade dialed the session")
	}
}
