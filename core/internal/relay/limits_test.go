package relay_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/ratelimit"
	"github.com/atrium-hq/atrium/core/internal/relay"
)

// TestRelayCaps: past its per-user cap a user gets 429 and past the
// core's cap anyone gets 503, each problem+json with Retry-After, before
// the session is dialed; a relay that ends frees its place.
func TestRelayCaps(t *testing.T) {
	e := newEnvWith(t, echo, relay.Options{}, func(o *relay.HandlerOptions) { o.MaxPerUser, o.MaxRelays = 2, 3 })
	binary := []string{relay.Subprotocol}
	// waitLen waits for the registry to count n relays: a relay
	// registers just after its 101, and the caps count registered ones.
	waitLen := func(n int) {
		deadline := time.Now().Add(5 * time.Second)
		for e.registry.Len() != n && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	open := func(user string) (int, string, string, func()) {
		n := e.registry.Len()
		ws, resp, err := e.dial("s1", e.ticket(t, user, "s1"), testOrigin, binary)
		if err == nil {
			waitLen(n + 1)
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
	waitLen(2)
	code, _, body, c := open("u2")
	defer c()
	if code != http.StatusSwitchingProtocols {
		t.Fatalf("after a relay ended: %d %s; want the relay", code, body)
	}
}

// TestRelayRateLimits: past its burst of upgrade requests, or of invalid
// tickets, an address gets 429 problem+json with Retry-After before its
// ticket is looked up — a valid ticket included, which stays unspent.
func TestRelayRateLimits(t *testing.T) {
	refused := func(t *testing.T, e *env, ticket string, status int, typ string) {
		t.Helper()
		ws, resp, err := e.dial("s1", ticket, testOrigin, []string{relay.Subprotocol})
		if err == nil {
			ws.Close()
			t.Fatalf("the relay opened; want %d %s", status, typ)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != status || !strings.Contains(string(b), "/"+typ+`"`) || (status == 429 && resp.Header.Get("Retry-After") == "") {
			t.Fatalf("%d Retry-After %q %s; want %d %s", resp.StatusCode, resp.Header.Get("Retry-After"), b, status, typ)
		}
	}
	t.Run("invalid tickets", func(t *testing.T) {
		e := newEnvWith(t, echo, relay.Options{}, func(o *relay.HandlerOptions) { o.BadTickets = ratelimit.New(time.Hour, 3) })
		for range 3 {
			refused(t, e, "no-such-ticket", http.StatusUnauthorized, "relay-ticket-invalid")
		}
		good := e.ticket(t, "u1", "s1")
		refused(t, e, good, http.StatusTooManyRequests, "relay-ticket-rate-limited")
		if _, err := e.tickets.Consume(context.Background(), good); err != nil {
			t.Fatalf("the refused request spent the valid ticket: %v", err)
		}
	})
	t.Run("upgrades", func(t *testing.T) {
		e := newEnvWith(t, echo, relay.Options{}, func(o *relay.HandlerOptions) { o.Upgrades = ratelimit.New(time.Hour, 2) })
		for range 2 {
			ws, _, err := e.dial("s1", e.ticket(t, "u1", "s1"), testOrigin, []string{relay.Subprotocol})
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
		}
		refused(t, e, e.ticket(t, "u1", "s1"), http.StatusTooManyRequests, "relay-rate-limited")
	})
}

// TestRelayUpstreamBusy: a Dial that finds the session's server busy
// (relay.ErrUpstreamBusy, e.g. the core's VNC handshake gate full) is
// answered 429 relay-upstream-busy with Retry-After, not 502: the client
// should come back shortly.
func TestRelayUpstreamBusy(t *testing.T) {
	e := newEnv(t, echo, relay.Options{})
	e.mu.Lock()
	inst := e.instance
	e.lookup = func(context.Context, string) (relay.Upstream, error) {
		return relay.Upstream{InstanceID: inst, Dial: func(context.Context) (net.Conn, error) {
			return nil, fmt.Errorf("%w: every handshake slot is taken", relay.ErrUpstreamBusy)
		}}, nil
	}
	e.mu.Unlock()
	_, resp, err := e.dial("s1", e.ticket(t, "u1", "s1"), testOrigin, []string{relay.Subprotocol})
	if err == nil || resp == nil {
		t.Fatalf("dial with a busy upstream: %v; want a refusal", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") || !strings.Contains(string(b), "relay-upstream-busy") {
		t.Fatalf("busy upstream: %d Retry-After %q %s; want 429 relay-upstream-busy problem+json with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
}
