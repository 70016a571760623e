package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/atrium-hq/atrium/test/harness"
	"github.com/atrium-hq/atrium/test/rfb"
)

// streamsEnv sets how many live desktop streams the rolling restart
// carries; default 20.
const streamsEnv = "ATRIUM_E2E_STREAMS"

// streamsPerDesktop is how many streams share one desktop (and one user):
// below the relay's cap of 8 per user per core even when every stream of
// a user lands on the same replica.
const streamsPerDesktop = 5

// rollingAudit lists the audit actions a rolling restart may cause. It is
// empty: a drain, a start on a database that has its templates and a
// reconnect with a fresh ticket write no audit row.
var rollingAudit = []string{}

// TestRollingRestartKeepsEveryStream restarts the three replicas one at a
// time (SIGTERM, which drains; start again; wait for /readyz) under
// ATRIUM_E2E_STREAMS live desktop streams through the balancer, five to a
// desktop and one desktop per user. Every stream that a drain closes must
// end with 1001 "core restarting" and come back with a fresh ticket
// through the balancer; after the last restart every stream receives
// pixels; no session's row (state, instance, started_at, …) changed; and
// the audit log holds nothing from the whole roll but rollingAudit.
func TestRollingRestartKeepsEveryStream(t *testing.T) {
	n := 20
	if v := os.Getenv(streamsEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number of streams", streamsEnv, v)
		}
	}
	rs := startReplicaSet(t, fmt.Sprintf("  drain_grace = %q\n  drain_timeout = \"30s\"\n", drainGrace.String()))
	first := rs.replicas[0]

	// One user per desktop: the admin, then users made for the test.
	desktops := (n + streamsPerDesktop - 1) / streamsPerDesktop
	users := []string{"admin"}
	passwords := []string{adminPassword}
	for i := 1; i < desktops; i++ {
		name, pw := fmt.Sprintf("roller%d", i), fmt.Sprintf("roller %d password", i)
		if code, out := runAtriumStdin(t, 60*time.Second, pw+"\n", "admin", "create-user", "-config", first.path, "-username", name, "-org", "default"); code != 0 {
			t.Fatalf("create user %s: exit %d:\n%s", name, code, out)
		}
		users, passwords = append(users, name), append(passwords, pw)
	}
	clients := make([]*harness.Client, desktops)
	sessions := make([]harness.Session, desktops)
	for i := range desktops {
		cl, err := harness.Login(ctxT(t, 30*time.Second), rs.base, users[i], passwords[i])
		if err != nil {
			t.Fatal(err)
		}
		// A new connection per request, so round-robin spreads them.
		cl.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		clients[i] = cl
		if sessions[i], err = cl.CreateSession(ctxT(t, 30*time.Second), harness.DesktopTemplate); err != nil {
			t.Fatal(err)
		}
	}
	rows := make([]string, desktops)
	for i, s := range sessions {
		if _, err := clients[i].WaitState(ctxT(t, desktopTimeout), s.ID, "running"); err != nil {
			t.Fatal(err)
		}
		rows[i] = sessionRow(t, rs.db, s.ID)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	streams := make([]*liveStream, n)
	var wg sync.WaitGroup
	for i := range streams {
		streams[i] = &liveStream{cl: clients[i/streamsPerDesktop], session: sessions[i/streamsPerDesktop].ID}
		wg.Add(1)
		go func() { defer wg.Done(); streams[i].run(ctx) }()
	}
	defer func() { stop(); wg.Wait() }()
	// waitUp waits until every stream had pixels after since, and names
	// the ones that did not, with their last error, when that takes longer
	// than within.
	waitUp := func(within time.Duration, since time.Time, what string) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			var down []string
			for i, s := range streams {
				if !s.upSince(since) {
					down = append(down, fmt.Sprintf("stream %d (%v)", i+1, s.lastError()))
				}
			}
			if len(down) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: after %s, %d streams are not back: %s", what, within, len(down), strings.Join(down, "; "))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitUp(2*time.Minute, time.Time{}, fmt.Sprintf("all %d streams to show pixels", n))
	var auditBefore int
	sqlRow(t, rs.db, &auditBefore, `SELECT coalesce(max(id), 0) FROM audit_log`)
	t.Logf("%d streams on %d desktops of %d users are live", n, desktops, desktops)

	began := time.Now()
	var lastReady time.Time
	for i, r := range rs.replicas {
		signalled := time.Now()
		drained := r.cmd
		r.restartWith(t, syscall.SIGTERM, 60*time.Second, nil)
		if code := drained.ProcessState.ExitCode(); code != 0 {
			t.Errorf("replica %d exited %d after SIGTERM, want 0", i+1, code)
		}
		exited := time.Now() // and started again, up to /healthz
		waitFor(t, 30*time.Second, fmt.Sprintf("replica %d to answer /readyz", i+1), func() bool {
			resp, err := http.Get("http://" + r.addr + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
		lastReady = time.Now()
		// The next replica drains only when every stream runs again.
		waitUp(time.Minute, signalled, fmt.Sprintf("replica %d's restart", i+1))
		t.Logf("replica %d: drained, exited and answering /healthz again %s after SIGTERM, /readyz %s later", i+1, exited.Sub(signalled).Round(time.Millisecond), lastReady.Sub(exited).Round(time.Millisecond))
	}
	// Pixels after the last restart, on every stream.
	waitUp(30*time.Second, lastReady, "pixels on every stream after the last restart")
	stop()
	wg.Wait()

	var times []time.Duration
	for i, s := range streams {
		if len(s.unexpected) > 0 {
			t.Errorf("stream %d ended otherwise than with 1001 \"core restarting\": %v", i+1, s.unexpected)
		}
		// Every replica was restarted, so each stream was moved at least
		// once, from the replica it began on.
		if len(s.reconnects) == 0 {
			t.Errorf("stream %d never reconnected across the roll: no drain closed it", i+1)
		}
		times = append(times, s.reconnects...)
	}
	slices.Sort(times)
	if len(times) > 0 {
		t.Logf("rolling restart of 3 replicas in %s with %d streams: %d reconnects, p50 %s, max %s",
			time.Since(began).Round(time.Millisecond), n, len(times), times[len(times)/2].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
	}

	for i, s := range sessions {
		if after := sessionRow(t, rs.db, s.ID); after != rows[i] {
			t.Errorf("session %s changed across the rolling restart:\nbefore %s\nafter  %s", s.ID, rows[i], after)
		}
	}
	var actions string
	sqlRow(t, rs.db, &actions, `SELECT coalesce(string_agg(action, ',' ORDER BY id), '') FROM audit_log WHERE id > $1`, auditBefore)
	for _, a := range strings.Split(actions, ",") {
		if a != "" && !slices.Contains(rollingAudit, a) {
			t.Errorf("the audit log holds %q from the rolling restart (all: %s); allowed: %v", a, actions, rollingAudit)
		}
	}
}

// liveStream is one desktop stream kept open through the balancer: it
// asks for a small region of the screen every half second, and when the
// relay closes it reconnects with a fresh ticket.
type liveStream struct {
	cl      *harness.Client
	session string

	mu sync.Mutex
	// pixels is when pixels last arrived on the current connection, zero
	// while it is being reconnected.
	pixels time.Time
	// reconnects are the times from a close to the first pixels after it.
	reconnects []time.Duration
	// unexpected are the ends that were not a drain's close.
	unexpected []error
	// err is the last failure to open or keep the stream.
	err error
}

// lastError is the stream's last failure.
func (s *liveStream) lastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// upSince is whether the stream is connected and had pixels after since.
func (s *liveStream) upSince(since time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.pixels.IsZero() && s.pixels.After(since)
}

func (s *liveStream) run(ctx context.Context) {
	var closed time.Time
	for ctx.Err() == nil {
		d, err := s.open(ctx)
		if err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			if ctx.Err() == nil {
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		s.mu.Lock()
		s.pixels = time.Now()
		if !closed.IsZero() {
			s.reconnects = append(s.reconnects, s.pixels.Sub(closed))
		}
		s.mu.Unlock()
		err = s.watch(ctx, d)
		_ = d.Close()
		if ctx.Err() != nil {
			return
		}
		closed = time.Now()
		s.mu.Lock()
		s.pixels = time.Time{}
		s.err = err
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway || ce.Text != "core restarting" {
			s.unexpected = append(s.unexpected, err)
		}
		s.mu.Unlock()
	}
}

// open gets a ticket and opens the desktop through the balancer, up to
// its first pixels.
func (s *liveStream) open(ctx context.Context) (*harness.Desktop, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	d, err := harness.OpenDesktop(ctx, s.cl, s.session)
	if err != nil {
		return nil, err
	}
	if _, err := harness.FirstFramebuffer(ctx, d.Client); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

// watch asks for the top-left corner every half second until the
// connection fails or ctx ends, and returns the failure. TigerVNC answers
// a non-incremental request with the screen layout alone and sends the
// region's pixels on the incremental request after it.
func (s *liveStream) watch(ctx context.Context, d *harness.Desktop) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(500 * time.Millisecond):
		}
		_ = d.Conn().SetReadDeadline(time.Now().Add(10 * time.Second))
		for i := 0; i < 2; i++ {
			if err := d.FramebufferUpdateRequest(i > 0, 0, 0, 32, 32); err != nil {
				// The close frame, if one came, says why.
				return readUntilEnd(d.Conn(), 5*time.Second)
			}
			u, err := d.ReadFramebufferUpdate()
			if err != nil {
				return err
			}
			if slices.ContainsFunc(u.Rects, func(r rfb.Rect) bool { return r.Encoding == rfb.EncodingRaw && len(r.Data) > 0 }) {
				s.mu.Lock()
				s.pixels = time.Now()
				s.mu.Unlock()
				break
			}
		}
	}
}
