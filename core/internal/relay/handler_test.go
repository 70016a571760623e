package relay_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/relay/relaytest"
)

func TestRefusalsHappenBeforeUpgradeAndDial(t *testing.T) {
	e := newEnv(t, echo, relay.Options{})
	binary := []string{"binary"}

	used := e.ticket(t, "u1", "s1")
	ws := e.open(t, "u1", "s1") // consumes its own ticket
	_ = ws.Close()
	// Spend `used` once so it counts as reused below.
	if _, err := e.tickets.Consume(context.Background(), used); err != nil {
		t.Fatalf("spend a ticket: %v", err)
	}
	<-e.up.conns // the one successful relay's connection

	cases := []struct {
		name      string
		session   string
		ticket    func() string
		origin    string
		protocols []string
		status    int
		typ       string
	}{
		{"no ticket", "s1", func() string { return "" }, testOrigin, binary, http.StatusUnauthorized, "relay-ticket-missing"},
		{"unknown ticket", "s1", func() string { return "bm90LWEtdGlja2V0" }, testOrigin, binary, http.StatusUnauthorized, "relay-ticket-invalid"},
		{"reused ticket", "s1", func() string { return used }, testOrigin, binary, http.StatusUnauthorized, "relay-ticket-invalid"},
		{"expired ticket", "s1", func() string {
			tok := e.ticket(t, "u1", "s1")
			e.clock.advance(relay.MaxTicketTTL + time.Second)
			return tok
		}, testOrigin, binary, http.StatusUnauthorized, "relay-ticket-invalid"},
		{"ticket for another session", "s2", func() string { return e.ticket(t, "u1", "s1") }, testOrigin, binary, http.StatusForbidden, "relay-ticket-session"},
		{"ticket for an older instance", "s1", func() string {
			tok := e.ticket(t, "u1", "s1")
			e.mu.Lock()
			e.instance = "inst-2"
			e.mu.Unlock()
			return tok
		}, testOrigin, binary, http.StatusConflict, "relay-session-restarted"},
		{"foreign origin", "s1", func() string { return e.ticket(t, "u1", "s1") }, "https://evil.test", binary, http.StatusForbidden, "relay-origin"},
		{"origin differing only in port", "s1", func() string { return e.ticket(t, "u1", "s1") }, testOrigin + ":8443", binary, http.StatusForbidden, "relay-origin"},
		{"missing origin", "s1", func() string { return e.ticket(t, "u1", "s1") }, "", binary, http.StatusForbidden, "relay-origin"},
		{"no subprotocol", "s1", func() string { return e.ticket(t, "u1", "s1") }, testOrigin, nil, http.StatusBadRequest, "relay-subprotocol"},
		{"other subprotocol", "s1", func() string { return e.ticket(t, "u1", "s1") }, testOrigin, []string{"base64"}, http.StatusBadRequest, "relay-subprotocol"},
		{"session not running", "s9", func() string { return e.ticket(t, "u1", "s9") }, testOrigin, binary, http.StatusConflict, "relay-session-not-running"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws, resp, err := e.dial(c.session, c.ticket(), c.origin, c.protocols)
			if err == nil {
				_ = ws.Close()
				t.Fatalf("the relay opened; want HTTP %d", c.status)
			}
			if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil {
				t.Fatalf("dial failed with %v, want an HTTP refusal", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d (body %s)", resp.StatusCode, c.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q, want application/problem+json", ct)
			}
			if !strings.Contains(string(body), "https://atrium.dev/problems/"+c.typ) {
				t.Fatalf("body %s lacks problem type %s", body, c.typ)
			}
		})
	}

	// The kernel queues connections in arrival order: if the first one the
	// upstream accepts now is this sentinel, no refused request reached it.
	sentinel, err := net.Dial("tcp", e.up.ln.Addr().String())
	if err != nil {
		t.Fatalf("dial the sentinel: %v", err)
	}
	defer sentinel.Close()
	got := e.up.next(t)
	if got.RemoteAddr().String() != sentinel.LocalAddr().String() {
		t.Fatalf("the upstream accepted a connection from %s before the sentinel %s: a refused request reached the session", got.RemoteAddr(), sentinel.LocalAddr())
	}
}

func TestPlainHTTPRefused(t *testing.T) {
	e := newEnv(t, echo, relay.Options{})
	resp, err := http.Get(strings.Replace(e.url, "ws://", "http://", 1) + "s1?ticket=" + e.ticket(t, "u1", "s1"))
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("status %d, want 426", resp.StatusCode)
	}
}

func TestHandlerRefusesEmptyOrigins(t *testing.T) {
	_, err := relay.Handler(relay.HandlerOptions{
		Tickets:  relaytest.NewMemoryTickets(),
		Registry: relay.NewRegistry(),
		Lookup:   func(context.Context, string) (relay.Upstream, error) { return relay.Upstream{}, nil },
	})
	if err == nil || !strings.Contains(err.Error(), "AllowedOrigins") {
		t.Fatalf("an empty AllowedOrigins gave %v, want an error naming it", err)
	}
	_, err = relay.Handler(relay.HandlerOptions{
		Tickets:        relaytest.NewMemoryTickets(),
		Registry:       relay.NewRegistry(),
		AllowedOrigins: []string{"*"},
		Lookup:         func(context.Context, string) (relay.Upstream, error) { return relay.Upstream{}, nil },
	})
	if err == nil {
		t.Fatalf("AllowedOrigins [*] was accepted")
	}
}

func TestShutdownRefusesNewRelays(t *testing.T) {
	e := newEnv(t, echo, relay.Options{})
	e.open(t, "u1", "s1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.registry.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	ws, _, err := e.dial("s1", e.ticket(t, "u1", "s1"), testOrigin, []string{"binary"})
	if err != nil {
		t.Fatalf("dial after shutdown: %v", err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("a relay opened after shutdown got %v, want close 1001", err)
	}
}
