package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/harness"
)

// Bounds of TestCoreRidesOutPostgresRestart, generous for a loaded 2-core
// machine; the figures measured are logged.
const (
	// pgDownAnswer bounds an API answer while the database is down.
	pgDownAnswer = 3 * time.Second
	// pgDownNoticed bounds how long /readyz stays 200 after the stop.
	pgDownNoticed = 5 * time.Second
	// pgDownHold is how long the database stays down: long enough for a
	// LISTEN feed whose retries doubled without a cap to wait ~25 s more
	// (attempts at 12.7 s and 25.5 s, then 51.1 s), which pgUpResync
	// catches.
	pgDownHold = 28 * time.Second
	// pgUpReady bounds /readyz's return to 200 after the start.
	pgUpReady = 10 * time.Second
	// pgUpResync bounds the resync event's arrival after the start.
	pgUpResync = 10 * time.Second
)

// problemDatabaseUnavailable is the problem type of an API answer made
// while the database cannot be reached.
const problemDatabaseUnavailable = "https://atrium.dev/problems/database-unavailable"

// TestCoreRidesOutPostgresRestart stops the core's real PostgreSQL (its
// own server, not the shared one) under a running core with a live
// desktop relay and an event-stream client, and starts it again. While it
// is down: /readyz fails, the API answers 503 problem+json within a bound
// and without internal text, logins and relay tickets fail closed (none
// issued, none redeemed), the relay keeps carrying frames. When it is
// back: /readyz is 200 again by itself, the API works, the stream client is
// told to resync, a change made afterwards reaches it (the LISTEN feed is
// back), and no row was lost or half-written.
func TestCoreRidesOutPostgresRestart(t *testing.T) {
	pg := startRestartablePostgres(t)
	db := emptyDatabaseOn(t, pg.url)
	// Runs before the database is dropped: a failure half-way must not
	// leave the server down for the cleanups.
	t.Cleanup(func() { pg.Start(t) })
	dc := startDesktopCoreOn(t, db, "", true)
	base := "http://" + dc.addr
	s := startSession(t, dc.admin)
	d := openDesktop(t, dc.admin, s.ID)
	frames := watchFrames(t, d)
	events, err := dc.admin.Events(ctxT(t, 5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	// A ticket issued before the outage must not open a relay during it.
	early, err := dc.admin.Connect(ctxT(t, 30*time.Second), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	before := tableDigest(t, db)

	pg.Stop(t)
	stopped := time.Now()
	t.Log("PostgreSQL stopped")

	noticed := waitStatus(t, base+"/readyz", pgDownNoticed, func(code int) bool { return code != http.StatusOK })
	t.Logf("/readyz answered non-200 %s after the stop", noticed.Round(time.Millisecond))

	took := expectUnavailable(t, "GET /api/v1/sessions", func(ctx context.Context) (int, http.Header, []byte, error) {
		return doRaw(ctx, dc.admin, http.MethodGet, "/api/v1/sessions", nil)
	})
	t.Logf("GET /api/v1/sessions answered 503 in %s", took.Round(time.Millisecond))

	took = expectUnavailable(t, "POST /api/v1/auth/login", func(ctx context.Context) (int, http.Header, []byte, error) {
		anon := &harness.Client{Base: base}
		code, h, b, err := doRaw(ctx, anon, http.MethodPost, "/api/v1/auth/login", map[string]string{"username": "admin", "password": adminPassword})
		if err == nil && strings.Contains(h.Get("Set-Cookie"), harness.SessionCookie+"=") && !strings.Contains(h.Get("Set-Cookie"), harness.SessionCookie+"=;") {
			t.Errorf("a login while the database is down set the session cookie")
		}
		return code, h, b, err
	})
	t.Logf("POST /api/v1/auth/login answered 503 in %s", took.Round(time.Millisecond))

	took = expectUnavailable(t, "POST connect (relay ticket)", func(ctx context.Context) (int, http.Header, []byte, error) {
		code, h, b, err := doRaw(ctx, dc.admin, http.MethodPost, "/api/v1/sessions/"+s.ID+"/connect", nil)
		if strings.Contains(string(b), `"ticket"`) {
			t.Errorf("a relay ticket was issued while the database is down")
		}
		return code, h, b, err
	})
	t.Logf("POST connect answered 503 in %s", took.Round(time.Millisecond))

	conn, resp, err := harness.DialRelay(ctxT(t, 10*time.Second), base, early.URL, base)
	if err == nil {
		_ = conn.Close()
		t.Error("a relay ticket issued before the outage opened a relay while the database is down")
	} else if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("redeeming a ticket while the database is down: %v (%v); want a 503 refusal", err, resp)
	}

	// The open relay keeps carrying frames while the database is down.
	atStop := frames.updates.Load()
	if wait := pgDownHold - time.Since(stopped); wait > 0 {
		time.Sleep(wait)
	}
	during := frames.updates.Load() - atStop
	if err := frames.failure(); err != nil {
		t.Fatalf("the relay stream broke while the database was down: %v", err)
	}
	if during < 5 {
		t.Fatalf("the relay delivered %d framebuffer updates in the %s the database was down; want it to keep answering", during, pgDownHold)
	}
	t.Logf("the relay delivered %d framebuffer updates while the database was down", during)

	pg.Start(t)
	started := time.Now()
	t.Log("PostgreSQL started again")
	ready := waitStatus(t, base+"/readyz", pgUpReady, func(code int) bool { return code == http.StatusOK })
	t.Logf("/readyz answered 200 %s after the start", ready.Round(time.Millisecond))

	if err := events.WaitResync(ctxT(t, pgUpResync-time.Since(started))); err != nil {
		t.Fatalf("the event stream client was not told to resync within %s of the start: %v", pgUpResync, err)
	}
	t.Logf("the event stream said resync %s after the start", time.Since(started).Round(time.Millisecond))

	list, err := dc.admin.Sessions(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatalf("the API after the restart: %v", err)
	}
	if len(list) != 1 || list[0].ID != s.ID || list[0].State != "running" {
		t.Fatalf("sessions after the restart: %+v; want %s running", list, s.ID)
	}
	if after := tableDigest(t, db); after != before {
		t.Fatalf("the database changed while it was down or in the restart:\nbefore %s\nafter  %s", before, after)
	}
	if err := frames.failure(); err != nil {
		t.Fatalf("the relay stream broke when the database came back: %v", err)
	}
	fresh, err := harness.Login(ctxT(t, 30*time.Second), base, "admin", adminPassword)
	if err != nil {
		t.Fatalf("a login after the restart: %v", err)
	}
	_ = fresh

	// A change made now reaches the stream: LISTEN is back.
	if err := dc.admin.Action(ctxT(t, 30*time.Second), s.ID, "stop"); err != nil {
		t.Fatal(err)
	}
	if err := events.WaitState(ctxT(t, desktopTimeout), s.ID, "stopping", "stopped"); err != nil {
		t.Fatalf("a stop after the restart did not reach the event stream: %v", err)
	}
}

// frameWatch counts framebuffer updates read from a relay.
type frameWatch struct {
	updates atomic.Int64
	err     atomic.Pointer[error]
}

func (f *frameWatch) failure() error {
	if p := f.err.Load(); p != nil {
		return *p
	}
	return nil
}

// watchFrames asks for the whole screen every 200 ms (a full request is
// always answered, whether the screen changed or not; TigerVNC leaves out
// what the client already has) and counts the answers, until the test
// ends.
func watchFrames(t *testing.T, d *harness.Desktop) *frameWatch {
	f := &frameWatch{}
	done := make(chan struct{})
	stopped := make(chan struct{})
	t.Cleanup(func() { close(done); _ = d.Close(); <-stopped })
	go func() {
		defer close(stopped)
		init := d.ServerInit()
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
			_ = d.Conn().SetDeadline(time.Now().Add(10 * time.Second))
			if err := d.FramebufferUpdateRequest(false, 0, 0, init.Width, init.Height); err != nil {
				f.fail(done, err)
				return
			}
			if _, err := d.ReadFramebufferUpdate(); err != nil {
				f.fail(done, err)
				return
			}
			// Each answer is a round trip through the relay and the
			// session's VNC server.
			f.updates.Add(1)
		}
	}()
	return f
}

func (f *frameWatch) fail(done <-chan struct{}, err error) {
	select {
	case <-done: // the test closed the relay
	default:
		f.err.Store(&err)
	}
}

// waitStatus polls url until judge accepts its status and returns how
// long that took, failing the test after bound.
func waitStatus(t *testing.T, url string, bound time.Duration, judge func(int) bool) time.Duration {
	t.Helper()
	start := time.Now()
	last := "no answer"
	for time.Since(start) < bound {
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			last = resp.Status
			if judge(resp.StatusCode) {
				cancel()
				return time.Since(start)
			}
		} else {
			last = err.Error()
		}
		cancel()
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s still answered %s after %s", url, last, bound)
	return 0
}

// expectUnavailable makes one request and checks it answers 503
// problem+json of type database-unavailable within pgDownAnswer, naming
// nothing internal; it returns how long the answer took.
func expectUnavailable(t *testing.T, what string, do func(ctx context.Context) (int, http.Header, []byte, error)) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	code, h, body, err := do(ctx)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("%s while the database is down: %v", what, err)
	}
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") ||
		json.Unmarshal(body, &p) != nil || p.Type != problemDatabaseUnavailable || p.Status != code {
		t.Fatalf("%s while the database is down: %d %s %s; want 503 problem+json of type %s", what, code, h.Get("Content-Type"), body, problemDatabaseUnavailable)
	}
	if h.Get("Retry-After") == "" {
		t.Errorf("%s while the database is down: no Retry-After", what)
	}
	for _, leak := range []string{"127.0.0.1", "dial", "connect:", "pgx", "SQLSTATE", "postgres"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("%s while the database is down: the answer names %q: %s", what, leak, body)
		}
	}
	if took > pgDownAnswer {
		t.Errorf("%s while the database is down took %s; want under %s", what, took, pgDownAnswer)
	}
	return took
}

// doRaw is harness.Client.Do with the response's headers.
func doRaw(ctx context.Context, c *harness.Client, method, path string, body any) (int, http.Header, []byte, error) {
	var hdr http.Header
	hc := &http.Client{Timeout: 30 * time.Second, Transport: headerTap{&hdr}}
	cl := *c
	cl.HTTP = hc
	code, b, err := cl.Do(ctx, method, path, body)
	return code, hdr, b, err
}

// headerTap keeps the last response's headers.
type headerTap struct{ h *http.Header }

func (ht headerTap) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if resp != nil {
		*ht.h = resp.Header
	}
	return resp, err
}

// tableDigest summarises what the outage must not touch: every session's
// id, state and instance, and the number of login sessions and audit rows.
func tableDigest(t *testing.T, db string) string {
	t.Helper()
	var sessions string
	sqlRow(t, db, &sessions, `SELECT coalesce(string_agg(id::text || ' ' || state::text || ' ' || coalesce(instance_id, ''), ', ' ORDER BY id), '') FROM sessions`)
	logins := sqlInt(t, db, `SELECT count(*) FROM login_sessions`)
	audit := sqlInt(t, db, `SELECT count(*) FROM audit_log`)
	return fmt.Sprintf("sessions [%s], %d login sessions, %d audit rows", sessions, logins, audit)
}
