package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/harness"
	"github.com/atrium-hq/atrium/test/rfb"
)

// stormPerUser is how many clients (tabs) of one user the storm runs, and
// the relays_per_user the test sets: the per-user burst of session
// requests (20), so one fresh core can answer each tab's connect without
// making the storm a test of that one bucket.
const stormPerUser = 20

// stormBound is how long, after the SIGKILL, every client must be back.
const stormBound = 2 * time.Minute

// stormServer is the test core's extra server settings. Every client
// comes from 127.0.0.1; as a reverse proxy would, each sends an
// X-Forwarded-For address of its own, which the core believes from
// 127.0.0.1 only (trusted_proxies), so per-address limits count per
// client as in production.
const stormServer = `  trusted_proxies = ["127.0.0.1/32"]
  relays_per_user = 20
`

// stormClient is one browser tab: a user's login and the session it shows.
type stormClient struct {
	cl      *harness.Client
	session string
	desk    *harness.Desktop
}

// stormAddr is client i's address, in 198.18.0.0/15 (reserved for
// benchmarks).
func stormAddr(i int) string {
	return fmt.Sprintf("198.%d.%d.%d", 18+i>>16&1, i>>8&255, i&255)
}

// stormTally counts what the storm's clients were answered.
type stormTally struct {
	connect429, relay429, conflicts, refusedConn atomic.Int64
	mu                                           sync.Mutex
	fivexx, bad429                               []string
}

func (s *stormTally) fail(what string, code int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fivexx) < 20 {
		s.fivexx = append(s.fivexx, fmt.Sprintf("%s: %d %.200s", what, code, body))
	}
}

// refused counts a 429 and records it unless it is problem+json with a
// Retry-After.
func (s *stormTally) refused(what string, n *atomic.Int64, h http.Header) {
	n.Add(1)
	ct, ra := h.Get("Content-Type"), h.Get("Retry-After")
	if secs, err := strconv.Atoi(ra); !strings.HasPrefix(ct, "application/problem+json") || err != nil || secs < 1 {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.bad429) < 20 {
			s.bad429 = append(s.bad429, fmt.Sprintf("%s: Content-Type %q, Retry-After %q", what, ct, ra))
		}
	}
}

// retryAfter reads a Retry-After in seconds, with jitter so that clients
// refused together do not all come back in the same instant.
func retryAfter(h http.Header) time.Duration {
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs < 1 {
		secs = 1
	}
	return time.Duration(secs)*time.Second + rand.N(500*time.Millisecond)
}

// back connects c as a browser does after its stream ended: a ticket from
// the API, then the relay, until pixels arrive; 429s are waited out as
// their Retry-After says, 409s (the session not yet recovered) and refused
// connections (the core still starting) retried after a pause. Every 5xx
// is recorded.
func (c *stormClient) back(ctx context.Context, tally *stormTally) error {
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("not back: %w", err)
		}
		code, body, hdr, err := c.cl.DoHeader(ctx, http.MethodPost, "/api/v1/sessions/"+c.session+"/connect", nil)
		switch {
		case err != nil:
			tally.refusedConn.Add(1)
			sleepCtx(ctx, 200*time.Millisecond)
			continue
		case code == http.StatusTooManyRequests:
			tally.refused("connect", &tally.connect429, hdr)
			sleepCtx(ctx, retryAfter(hdr))
			continue
		case code == http.StatusConflict:
			tally.conflicts.Add(1)
			sleepCtx(ctx, time.Second)
			continue
		case code >= 500:
			tally.fail("connect", code, body)
			sleepCtx(ctx, time.Second)
			continue
		case code != http.StatusOK:
			return fmt.Errorf("connect: %d %.200s", code, body)
		}
		var t harness.Ticket
		if err := json.Unmarshal(body, &t); err != nil {
			return fmt.Errorf("connect: decode the answer: %w", err)
		}
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		h := c.cl.Header.Clone()
		h.Set("Origin", c.cl.Base)
		conn, resp, err := rfb.DialWebSocket(dctx, harness.RelayURL(c.cl.Base, t.URL), h)
		if err != nil {
			cancel()
			switch {
			case resp == nil:
				tally.refusedConn.Add(1)
				sleepCtx(ctx, 200*time.Millisecond)
			case resp.StatusCode == http.StatusTooManyRequests:
				tally.refused("relay", &tally.relay429, resp.Header)
				sleepCtx(ctx, retryAfter(resp.Header))
			case resp.StatusCode == http.StatusConflict:
				tally.conflicts.Add(1)
				sleepCtx(ctx, time.Second)
			case resp.StatusCode >= 500:
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
				tally.fail("relay", resp.StatusCode, body)
				sleepCtx(ctx, time.Second)
			default:
				return fmt.Errorf("relay: %s", resp.Status)
			}
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
		rc, err := rfb.Handshake(conn, "")
		if err == nil {
			_ = conn.SetDeadline(time.Time{})
			_, err = harness.FirstFramebuffer(dctx, rc)
		}
		cancel()
		if err != nil {
			_ = conn.Close()
			return fmt.Errorf("through the relay: %w", err)
		}
		c.desk = &harness.Desktop{Client: rc}
		return nil
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// stormSize is ATRIUM_E2E_STORM, the number of clients, default 40.
func stormSize(t *testing.T) int {
	// 40 by default, so it runs in every test run (about 20 s); the goal,
	// 500, does not pass yet: under that load the desktops still turn some
	// handshakes away (issue 12), and 25 desktops take minutes to start on
	// a small machine.
	v := os.Getenv("ATRIUM_E2E_STORM")
	if v == "" {
		return 40
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("ATRIUM_E2E_STORM=%q: want a number of clients such as 500", v)
	}
	return n
}

// TestReconnectStorm: N clients (ATRIUM_E2E_STORM, default 40; the goal is 500) hold a
// desktop relay each through one core; the core is killed with SIGKILL
// and started again, and every client reconnects at once — ticket from
// the API, WebSocket upgrade, RFB handshake, first pixels — retrying as
// each refusal's Retry-After says. No answer may be a 5xx, every 429 must
// be problem+json with Retry-After, and everyone must be back within
// stormBound; the test reports time-to-back percentiles and the 429s that
// absorbed the storm.
//
// A storm is clients, not containers: only a session's owner may open its
// desktop, so the clients are N/20 users with one real desktop each and
// 20 tabs on it (relays_per_user = 20). Each client has an address of its
// own behind the trusted proxy 127.0.0.1 (see stormServer). Without the
// core's bound on VNC handshakes per desktop (vncauth.Gate), TigerVNC
// blacklists the core's address as 20 tabs authenticate at once, and the
// relay answers 502.
func TestReconnectStorm(t *testing.T) {
	n := stormSize(t)
	users := (n + stormPerUser - 1) / stormPerUser
	dc := startDesktopCoreOn(t, emptyDatabase(t), stormServer, true)
	t.Logf("storm: %d clients, %d users with one desktop each", n, users)
	began := time.Now()

	// Users (the CLI, a few at once) and their sessions, in parallel.
	clients := make([]*stormClient, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, users)
	cli := make(chan struct{}, 4)
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name, pw := fmt.Sprintf("storm%03d", u), fmt.Sprintf("storm password %03d", u)
			cli <- struct{}{}
			code, out := runAtriumStdin(t, 60*time.Second, pw+"\n", "admin", "create-user", "-config", dc.path, "-username", name, "-org", "default")
			if code != 0 {
				<-cli
				errs <- fmt.Errorf("create %s: exit %d:\n%s", name, code, out)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*desktopTimeout)
			defer cancel()
			// Logins hash a password each: a few at once, or a loaded
			// box answers them after the client's 30 s.
			cl, err := harness.Login(ctx, "http://"+dc.addr, name, pw)
			<-cli
			if err != nil {
				errs <- err
				return
			}
			s, err := cl.CreateSession(ctx, harness.DesktopTemplate)
			if err == nil {
				s, err = cl.WaitState(ctx, s.ID, "running")
			}
			if err != nil {
				errs <- fmt.Errorf("%s's desktop: %w", name, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			dc.clients = append(dc.clients, cl)
			for range min(stormPerUser, n-len(clients)) {
				tab := *cl
				tab.Header = http.Header{"X-Forwarded-For": {stormAddr(len(clients))}}
				clients = append(clients, &stormClient{cl: &tab, session: s.ID})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	defer func() {
		for _, c := range clients {
			if c.desk != nil {
				_ = c.desk.Close()
			}
		}
	}()
	t.Logf("storm: %d desktops running after %v", users, time.Since(began).Round(10*time.Millisecond))

	// Everyone connects once (the same retrying path), then the core dies.
	var before stormTally
	connectAll(t, clients, &before, 2*time.Minute)
	if len(before.fivexx) > 0 || len(before.bad429) > 0 {
		t.Fatalf("before the restart: 5xx answers %v; malformed 429s %v", before.fivexx, before.bad429)
	}
	t.Logf("storm: %d clients connected after %v (429s: %d on connect, %d on the relay)", n,
		time.Since(began).Round(10*time.Millisecond), before.connect429.Load(), before.relay429.Load())

	var tally stormTally
	killed := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), stormBound)
	defer cancel()
	took := make([]time.Duration, len(clients))
	fails := make(chan error, len(clients))
	var storm sync.WaitGroup
	// The relays die with the core; the clients notice their stream end
	// and come back.
	dc.restart(t, func() {
		for i, c := range clients {
			storm.Add(1)
			go func() {
				defer storm.Done()
				_ = c.desk.Conn().SetReadDeadline(time.Now().Add(10 * time.Second))
				_, _ = c.desk.ReadFramebufferUpdate()
				_ = c.desk.Close()
				c.desk = nil
				if err := c.back(ctx, &tally); err != nil {
					fails <- err
					return
				}
				took[i] = time.Since(killed)
			}()
		}
	})
	coreUp := time.Since(killed)
	storm.Wait()
	close(fails)
	for err := range fails {
		t.Error(err)
	}
	if len(tally.fivexx) > 0 {
		t.Errorf("the storm got 5xx answers (first ones): %v", tally.fivexx)
	}
	if len(tally.bad429) > 0 {
		t.Errorf("the storm got 429s without problem+json and Retry-After (first ones): %v", tally.bad429)
	}
	slices.Sort(took)
	q := func(p float64) time.Duration {
		return took[min(len(took)-1, int(p*float64(len(took))))].Round(10 * time.Millisecond)
	}
	t.Logf("storm of %d after SIGKILL: core answering /healthz after %v; back p50 %v, p99 %v, max %v (bound %v); "+
		"429s: %d on connect, %d on the relay; 409s (session not yet recovered) %d; refused connections %d",
		n, coreUp.Round(10*time.Millisecond), q(0.5), q(0.99), took[len(took)-1].Round(10*time.Millisecond), stormBound,
		tally.connect429.Load(), tally.relay429.Load(), tally.conflicts.Load(), tally.refusedConn.Load())
}

// connectAll runs back for every client at once and fails the test unless
// all are connected within d.
func connectAll(t *testing.T, clients []*stormClient, tally *stormTally, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	fails := make(chan error, len(clients))
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.back(ctx, tally); err != nil {
				fails <- err
			}
		}()
	}
	wg.Wait()
	close(fails)
	for err := range fails {
		t.Fatal(err)
	}
}
