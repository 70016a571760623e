package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/harness"
	"github.com/atrium-hq/atrium/test/rfb"
)

// stormPerUser is how many clients of one user the storm runs: the core's
// per-user relay cap (8), so every client can hold its relay.
const stormPerUser = 8

// stormBound is how long, after the SIGKILL, every client must be back.
const stormBound = 5 * time.Minute

// stormClient is one browser tab: a user's login and the session it shows.
type stormClient struct {
	cl      *harness.Client
	session string
	desk    *harness.Desktop
}

// stormTally counts what the storm's clients were answered.
type stormTally struct {
	connect429, relay429, conflicts, refusedConn atomic.Int64
	mu                                           sync.Mutex
	fivexx                                       []string
}

func (s *stormTally) fail(what string, code int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fivexx) < 20 {
		s.fivexx = append(s.fivexx, fmt.Sprintf("%s: %d %.200s", what, code, body))
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
			tally.connect429.Add(1)
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
		conn, resp, err := harness.DialRelay(dctx, c.cl.Base, t.URL, c.cl.Base)
		if err != nil {
			cancel()
			switch {
			case resp == nil:
				tally.refusedConn.Add(1)
				sleepCtx(ctx, 200*time.Millisecond)
			case resp.StatusCode == http.StatusTooManyRequests:
				tally.relay429.Add(1)
				sleepCtx(ctx, retryAfter(resp.Header))
			case resp.StatusCode == http.StatusConflict:
				tally.conflicts.Add(1)
				sleepCtx(ctx, time.Second)
			case resp.StatusCode >= 500:
				tally.fail("relay", resp.StatusCode, nil)
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

// stormSize is ATRIUM_E2E_STORM, the number of clients, default 500.
func stormSize(t *testing.T) int {
	n := 500
	if v := os.Getenv("ATRIUM_E2E_STORM"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("ATRIUM_E2E_STORM=%q: want a number of clients such as 500", v)
		}
	}
	return n
}

// TestReconnectStorm: N clients (ATRIUM_E2E_STORM, default 500) hold a
// desktop relay each through one core; the core is killed with SIGKILL
// and started again, and every client reconnects at once — ticket from
// the API, WebSocket upgrade, RFB handshake, first pixels — retrying as
// each refusal's Retry-After says. No answer may be a 5xx, and everyone
// must be back within stormBound; the test reports time-to-back
// percentiles and the 429s that absorbed the storm.
//
// Only a session's owner may open its desktop and one user may hold 8
// relays on a core, so the clients are N/8 users with one real desktop
// session each (8 clients per desktop): the fewest containers that give N
// clients without raising a cap.
func TestReconnectStorm(t *testing.T) {
	n := stormSize(t)
	users := (n + stormPerUser - 1) / stormPerUser
	dc := startDesktopCore(t)
	t.Logf("storm: %d clients, %d users with one desktop each", n, users)

	// Users and their sessions, created in parallel.
	clients := make([]*stormClient, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for u := range users {
		name, pw := fmt.Sprintf("storm%03d", u), fmt.Sprintf("storm password %03d", u)
		if code, out := runAtriumStdin(t, 60*time.Second, pw+"\n", "admin", "create-user", "-config", dc.path, "-username", name, "-org", "default"); code != 0 {
			t.Fatalf("create %s: exit %d:\n%s", name, code, out)
		}
		cl := dc.login(t, name, pw)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 3*desktopTimeout)
			defer cancel()
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
			for range min(stormPerUser, n-len(clients)) {
				clients = append(clients, &stormClient{cl: cl, session: s.ID})
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

	// Everyone connects once (the same retrying path), then the core dies.
	var before stormTally
	connectAll(t, clients, &before, 5*time.Minute)
	if len(before.fivexx) > 0 {
		t.Fatalf("5xx answers before the restart: %v", before.fivexx)
	}
	for _, c := range clients {
		_ = c.desk.Close()
		c.desk = nil
	}

	var tally stormTally
	killed := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), stormBound)
	defer cancel()
	took := make([]time.Duration, len(clients))
	fails := make(chan error, len(clients))
	var storm sync.WaitGroup
	for i, c := range clients {
		storm.Add(1)
		go func() {
			defer storm.Done()
			if err := c.back(ctx, &tally); err != nil {
				fails <- err
				return
			}
			took[i] = time.Since(killed)
		}()
	}
	dc.restart(t, nil)
	coreUp := time.Since(killed)
	storm.Wait()
	close(fails)
	for err := range fails {
		t.Error(err)
	}
	if len(tally.fivexx) > 0 {
		t.Errorf("the storm got 5xx answers (first ones): %v", tally.fivexx)
	}
	slices.Sort(took)
	q := func(p float64) time.Duration { return took[min(len(took)-1, int(p*float64(len(took))))].Round(10 * time.Millisecond) }
	t.Logf("storm of %d after SIGKILL: core answering /healthz after %v; back p50 %v, p99 %v, max %v; "+
		"429s: %d on connect, %d on the relay; 409s (session not yet recovered) %d; refused connections %d",
		n, coreUp.Round(10*time.Millisecond), q(0.5), q(0.99), took[len(took)-1].Round(10*time.Millisecond),
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
