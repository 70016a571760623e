package relay_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"go.uber.org/goleak"

	"github.com/atrium-hq/atrium/core/internal/ratelimit"
	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/sdk/connect"
)

// leakDialTimeout is the leak test's handler DialTimeout; everything must
// be back to baseline within it and a margin.
const leakDialTimeout = 2 * time.Second

// rfbGreeting is what an RFB 3.8 server sends first and a client answers.
const rfbGreeting = "RFB 003.008\n"

// rfbStandIn is a stand-in for a session's VNC server (no real one runs
// cheaply in a unit test): over real loopback TCP it sends the RFB 3.8
// greeting and reads the client's version, then echoes until the client
// leaves or, with hangUp, closes the connection as a desktop that exits
// would.
func rfbStandIn(hangUp bool) func(net.Conn) {
	return func(c net.Conn) {
		defer c.Close()
		if _, err := io.WriteString(c, rfbGreeting); err != nil {
			return
		}
		version := make([]byte, len(rfbGreeting))
		if _, err := io.ReadFull(c, version); err != nil || hangUp {
			return
		}
		echo(c)
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd to count descriptors: %v", err)
	}
	return len(ents)
}

// leakEnv is the handler under test with three sessions: "echo" and
// "hangup" reach an RFB stand-in each, and "restarted" runs an instance
// newer than its tickets.
type leakEnv struct {
	*env
	upstreams map[string]*upstream
}

func newLeakEnv(t *testing.T) *leakEnv {
	e := newEnvWith(t, nil, relay.Options{CloseGrace: 200 * time.Millisecond}, func(o *relay.HandlerOptions) {
		// 1,000 relays come from one address: the per-address limits are
		// not what is under test here (limits_test.go tests them).
		o.Upgrades = ratelimit.New(time.Microsecond, 1<<20)
		o.BadTickets = ratelimit.New(time.Microsecond, 1<<20)
		// A browser that hangs up before the 101 leaves a dialed session
		// connection that only the handler's timer closes, after
		// DialTimeout; short here so the test's bound is short too.
		o.DialTimeout = leakDialTimeout
	})
	l := &leakEnv{env: e, upstreams: map[string]*upstream{
		"echo":      startUpstream(t, rfbStandIn(false)),
		"hangup":    startUpstream(t, rfbStandIn(true)),
		"restarted": e.up,
	}}
	e.lookup = func(ctx context.Context, sessionID string) (relay.Upstream, error) {
		up, ok := l.upstreams[sessionID]
		if !ok {
			return relay.Upstream{}, relay.ErrSessionNotRunning
		}
		inst := "inst-1"
		if sessionID == "restarted" {
			inst = "inst-2"
		}
		return relay.Upstream{InstanceID: inst, Dial: func(ctx context.Context) (net.Conn, error) {
			return relay.DialTunnel(ctx, connect.Tunnel{Endpoint: up.ln.Addr().String()}, loopback, []string{up.ln.Addr().String()})
		}}, nil
	}
	return l
}

// issue is env.ticket for goroutines other than the test's.
func (l *leakEnv) issue(user, session string) (string, error) {
	return l.tickets.Issue(context.Background(), relay.NewTicket(user, session, "inst-1", 10*time.Second, time.Now()))
}

// TestRelayLeaks: 1,000 relays through the real handler to TCP upstreams
// open and end in every way a stream ends — the browser closes, the
// session hangs up, the ticket is refused after it was consumed (spent, or
// for an instance the session no longer runs), and the browser hangs up in
// the middle of the upgrade after the session was dialed — and afterwards
// the goroutines and file descriptors are back to what they were before.
func TestRelayLeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 relays")
	}
	const n = 1000
	// With the collector off, a connection dropped without Close stays
	// open instead of being closed by its finalizer at the next GC, which
	// would hide the leak here and only delay it in production.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	l := newLeakEnv(t)

	// Warm up: the first relay starts fasthttp's worker pool and the
	// upgrader's buffer pools, which live as long as the app does.
	if err := l.round("client closes", "warm"); err != nil {
		t.Fatalf("warm-up relay: %v", err)
	}
	waitFor(t, "the warm-up relay ends", 5*time.Second, func() bool { return l.registry.Len() == 0 })
	// fasthttp keeps idle workers for a while by design; they hold no
	// connection once their request has ended.
	ignore := []goleak.Option{goleak.IgnoreCurrent(),
		goleak.IgnoreTopFunction("github.com/valyala/fasthttp.(*workerPool).workerFunc")}
	baseFDs := openFDs(t)

	kinds := [...]string{"client closes", "upstream closes", "spent ticket", "old instance", "hang-up mid-upgrade"}
	var mu sync.Mutex
	counts := make(map[string]int, len(kinds))
	jobs := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	// 16 at once, each worker its own user, so the per-user cap of 8
	// never refuses one.
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				kind := kinds[i%len(kinds)]
				if err := l.round(kind, fmt.Sprintf("u%d", w)); err != nil {
					errs <- fmt.Errorf("relay %d (%s): %w", i, kind, err)
				}
				mu.Lock()
				counts[kind]++
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	waitFor(t, "every relay leaves the registry", 10*time.Second, func() bool { return l.registry.Len() == 0 })

	// Ends take a moment (close grace, the upstream's EOF, the orphan
	// timer): allow DialTimeout and a margin.
	bound := leakDialTimeout + 3*time.Second
	start := time.Now()
	leaked := goleak.Find(ignore...)
	for leaked != nil && time.Since(start) < bound {
		leaked = goleak.Find(ignore...)
	}
	if leaked != nil {
		t.Errorf("goroutines left after %d relays: %v", n, leaked)
	}
	goroutinesBack := time.Since(start)
	fds := openFDs(t)
	for fds > baseFDs && time.Since(start) < bound {
		time.Sleep(20 * time.Millisecond)
		fds = openFDs(t)
	}
	if fds > baseFDs {
		t.Errorf("%d file descriptors open after %d relays, %d before: %d leaked", fds, n, baseFDs, fds-baseFDs)
	}
	if t.Failed() {
		return
	}
	t.Logf("%d relays %v; goroutines back to baseline after %v, fds (%d) after %v", n, counts,
		goroutinesBack.Round(time.Millisecond), baseFDs, time.Since(start).Round(time.Millisecond))
}

// greet reads the stand-in's RFB greeting off ws and answers with the
// client's version, as noVNC does.
func greet(ws *websocket.Conn) error {
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err != nil {
		return fmt.Errorf("read the greeting: %w", err)
	}
	if string(msg) != rfbGreeting {
		return fmt.Errorf("greeting %q, want %q", msg, rfbGreeting)
	}
	return ws.WriteMessage(websocket.BinaryMessage, []byte(rfbGreeting))
}

// round opens one relay for user and ends it the way kind says, checking
// the browser sees what it should.
func (l *leakEnv) round(kind, user string) error {
	binary := []string{relay.Subprotocol}
	session := "echo"
	switch kind {
	case "upstream closes":
		session = "hangup"
	case "old instance":
		session = "restarted"
	}
	tok, err := l.issue(user, session)
	if err != nil {
		return err
	}
	switch kind {
	case "client closes", "upstream closes":
		ws, _, err := l.dial(session, tok, testOrigin, binary)
		if err != nil {
			return err
		}
		defer ws.Close()
		if err := greet(ws); err != nil {
			return err
		}
		if kind == "upstream closes" {
			if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				return fmt.Errorf("after the session hung up the browser got %v, want close 1000", err)
			}
			return nil
		}
		if err := ws.WriteMessage(websocket.BinaryMessage, []byte("ping")); err != nil {
			return err
		}
		if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "ping" {
			return fmt.Errorf("echo: %q %v", msg, err)
		}
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
			return fmt.Errorf("the relay answered the close with %v, want its own close 1000", err)
		}
		return nil
	case "spent ticket":
		ws, _, err := l.dial(session, tok, testOrigin, binary)
		if err != nil {
			return err
		}
		// Dropped without a close frame: the relay notices the EOF.
		_ = ws.UnderlyingConn().Close()
		return l.refused(session, tok, 401)
	case "old instance":
		return l.refused(session, tok, 409)
	case "hang-up mid-upgrade":
		return l.hangUpMidUpgrade(session, tok)
	}
	return fmt.Errorf("unknown kind %q", kind)
}

// refused checks that tok on session is refused with status.
func (l *leakEnv) refused(session, tok string, status int) error {
	ws, resp, err := l.dial(session, tok, testOrigin, []string{relay.Subprotocol})
	if err == nil {
		ws.Close()
		return fmt.Errorf("the relay opened; want HTTP %d", status)
	}
	if resp == nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		return fmt.Errorf("HTTP %d, want %d", resp.StatusCode, status)
	}
	return nil
}

// hangUpMidUpgrade sends a valid upgrade request over a raw connection and
// closes it before reading the answer: by then the handler may have
// consumed the ticket and dialed the session, and must close that
// connection either way.
func (l *leakEnv) hangUpMidUpgrade(session, tok string) error {
	addr := strings.TrimSuffix(strings.TrimPrefix(l.url, "ws://"), "/relay/")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	req := "GET /relay/" + session + "?ticket=" + tok + " HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" +
		"\r\nSec-WebSocket-Protocol: binary\r\nOrigin: " + testOrigin + "\r\n\r\n"
	_, err = io.WriteString(c, req)
	_ = c.(*net.TCPConn).SetLinger(0) // a reset, not a polite FIN
	return errors.Join(err, c.Close())
}
