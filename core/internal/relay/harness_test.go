package relay_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/relay/relaytest"
	"github.com/atrium-hq/atrium/sdk/connect"
)

// testOrigin is the UI origin the test handler allows.
const testOrigin = "https://atrium.test"

// loopback is the only network the test runtime owns.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// upstream is a real TCP server on loopback standing in for a session's VNC
// port. serve runs once per accepted connection.
type upstream struct {
	ln    net.Listener
	conns chan net.Conn
	wg    sync.WaitGroup
}

func startUpstream(t testing.TB, serve func(net.Conn)) *upstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen for the upstream: %v", err)
	}
	u := &upstream{ln: ln, conns: make(chan net.Conn, 64)}
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case u.conns <- c:
			default:
			}
			if serve != nil {
				u.wg.Add(1)
				go func() {
					defer u.wg.Done()
					serve(c)
				}()
			}
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		u.wg.Wait()
	})
	return u
}

// next returns the next connection the upstream accepted.
func (u *upstream) next(t testing.TB) net.Conn {
	t.Helper()
	select {
	case c := <-u.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatalf("the upstream accepted no connection within 5s")
		return nil
	}
}

// echo writes back everything it reads, through one reused buffer.
func echo(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// env is a Fiber app serving the relay handler on a loopback listener.
type env struct {
	url      string
	tickets  *relaytest.MemoryTickets
	registry *relay.Registry
	up       *upstream
	clock    *clock

	mu       sync.Mutex
	instance string // the session's current instance id
	// lookup, when set, replaces the endpoint lookup.
	lookup func(ctx context.Context, sessionID string) (relay.Upstream, error)
}

// clock is a settable clock for the fake ticket store.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func newEnv(t testing.TB, serve func(net.Conn), opts relay.Options) *env {
	t.Helper()
	return newEnvWith(t, serve, opts, nil)
}

// newEnvWith is newEnv with tune, if set, changing the handler's options.
func newEnvWith(t testing.TB, serve func(net.Conn), opts relay.Options, tune func(*relay.HandlerOptions)) *env {
	t.Helper()
	e := &env{
		tickets:  relaytest.NewMemoryTickets(),
		registry: relay.NewRegistry(),
		up:       startUpstream(t, serve),
		clock:    &clock{},
		instance: "inst-1",
	}
	e.tickets.Now = e.clock.now
	ho := relay.HandlerOptions{
		Tickets:        e.tickets,
		AllowedOrigins: []string{testOrigin},
		Registry:       e.registry,
		Relay:          opts,
		Lookup: func(ctx context.Context, sessionID string) (relay.Upstream, error) {
			e.mu.Lock()
			override := e.lookup
			e.mu.Unlock()
			if override != nil {
				return override(ctx, sessionID)
			}
			if sessionID != "s1" && sessionID != "s2" {
				return relay.Upstream{}, relay.ErrSessionNotRunning
			}
			e.mu.Lock()
			inst := e.instance
			e.mu.Unlock()
			return relay.Upstream{InstanceID: inst, Dial: func(ctx context.Context) (net.Conn, error) {
				return relay.DialTunnel(ctx, connect.Tunnel{Endpoint: e.up.ln.Addr().String()}, loopback, []string{e.up.ln.Addr().String()})
			}}, nil
		},
	}
	if tune != nil {
		tune(&ho)
	}
	h, err := relay.Handler(ho)
	if err != nil {
		t.Fatalf("build the handler: %v", err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/relay/:session", h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen for the app: %v", err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.registry.Shutdown(ctx); err != nil {
			t.Errorf("shut the registry down: %v", err)
		}
		_ = app.ShutdownWithTimeout(5 * time.Second)
	})
	e.url = "ws://" + ln.Addr().String() + "/relay/"
	return e
}

// ticket issues a ticket for user and session at the current instance.
func (e *env) ticket(t testing.TB, user, session string) string {
	t.Helper()
	e.mu.Lock()
	inst := e.instance
	e.mu.Unlock()
	tok, err := e.tickets.Issue(context.Background(), relay.NewTicket(user, session, inst, 10*time.Second, e.clock.now()))
	if err != nil {
		t.Fatalf("issue a ticket: %v", err)
	}
	return tok
}

// dial opens the relay WebSocket as a browser would.
func (e *env) dial(session, ticket, origin string, protocols []string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, Subprotocols: protocols}
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	u := e.url + session
	if ticket != "" {
		u += "?ticket=" + ticket
	}
	return d.Dial(u, h)
}

// open dials a relay that must succeed.
func (e *env) open(t testing.TB, user, session string) *websocket.Conn {
	t.Helper()
	ws, resp, err := e.dial(session, e.ticket(t, user, session), testOrigin, []string{"binary"})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("open the relay for %s: %v (HTTP %d)", session, err, status)
	}
	if ws.Subprotocol() != "binary" {
		t.Fatalf("negotiated subprotocol %q, want binary", ws.Subprotocol())
	}
	t.Cleanup(func() { _ = ws.Close() })
	return ws
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within %s", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readEOF reads c until it ends and fails unless that happens within d.
func readEOF(t *testing.T, c net.Conn, within time.Duration) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the upstream connection stayed open for %s", within)
	}
}
