package relay_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/relay"
)

// TestRelayCaps: past its per-user cap a user gets 429 and past the
// core's cap anyone gets 503, each problem+json with Retry-After, before
// the session is dialed; a relay that ends frees its place.
func TestRelayCaps(t *testing.T) {
	e := newEnvWith(t, echo, relay.Options{}, func(o *relay.HandlerOptions) { o.MaxPerUser, o.MaxRelays = 2, 3 })
	binary := []string{relay.Subprotocol}
	open := func(user string) (int, string, string, func()) {
		ws, resp, err := e.dial("s1", e.ticket(t, user, "s1"), testOrigin, binary)
		if err == nil {
			return http.StatusSwitchingProtocols, "", "", func() { ws.Close() }
		}
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Retry-After"), string(b), func() {}
	}
	_, _, _, a1 := open("u1")
	_, _, _, a2 := open("u1")
	defer a2()
	if code, retry, body, _ := open("u1"); code != 429 || retry == "" || !strings.Contains(body, "relay-user-limit") {
		t.Fatalf("third relay of one user: %d Retry-After %q %s; want 429 relay-user-limit with Retry-After", code, retry, body)
	}
	_, _, _, b1 := open("u2")
	defer b1()
	if code, retry, body, _ := open("u2"); code != 503 || retry == "" || !strings.Contains(body, "relay-server-limit") {
		t.Fatalf("fourth relay of the core: %d Retry-After %q %s; want 503 relay-server-limit with Retry-After", code, retry, body)
	}
	a1()
	deadline := time.Now().Add(5 * time.Second)
	for e.registry.Len() > 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	code, _, body, c := open("u2")
	defer c()
	if code != http.StatusSwitchingProtocols {
		t.Fatalf("after a relay ended: %d %s; want the relay", code, body)
	}
}
