package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
)

// sseEvent is one server-sent event: its type ("" for a state change)
// and data.
type sseEvent struct{ typ, data string }

// openEvents opens the session event stream as c and returns its events.
func (s *served) openEvents(ctx context.Context, t *testing.T, c caller) <-chan sseEvent {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.addr+"/api/v1/sessions/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "atrium.test"
	req.AddCookie(&http.Cookie{Name: s.srv.cookieName, Value: c.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events: status %d", resp.StatusCode)
	}
	out := make(chan sseEvent, 16)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		typ := ""
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				typ = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				out <- sseEvent{typ, v}
			} else if line == "" {
				typ = ""
			}
		}
	}()
	return out
}

// While PostgreSQL is down the API answers 503 problem+json of type
// database-unavailable with Retry-After, fast and without the driver's
// text; login and relay tickets fail closed; /readyz is 503. When it is
// back, /readyz is 200 again, the event stream stays open and says
// "resync" once the LISTEN feed is back, and changes flow on it again.
// The server is this test's own, stopped and started for real.
func TestDatabaseDownAndBack(t *testing.T) {
	pg := storetest.PrivateServer(t)
	st, err := store.Open(context.Background(), pg.MigratedDatabase(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	s := serveWorldOf(t, newWorldOn(t, "http://atrium.test", st))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watcher := s.srv.deps.Sessions.Watcher()
	go watcher.Run(ctx)
	owner := s.session(s.userB)
	key := s.apiKey(s.userB, "read")
	events := s.openEvents(ctx, t, owner)

	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	login, _ := json.Marshal(map[string]string{"username": s.userB.Username, "password": testPassword})
	for _, rq := range []struct {
		who          caller
		method, path string
		body         string
	}{
		{owner, "GET", "/api/v1/sessions", ""},
		{caller{}, "POST", "/api/v1/auth/login", string(login)},
		{owner, "POST", "/api/v1/sessions/" + s.sessB.ID.String() + "/connect", ""},
		{key, "GET", "/api/v1/me", ""},
	} {
		start := time.Now()
		r := s.do(rq.who, rq.method, rq.path, rq.body)
		took := time.Since(start)
		var p problem.Problem
		if r.status != http.StatusServiceUnavailable || r.header.Get("Content-Type") != problem.ContentType ||
			json.Unmarshal(r.body, &p) != nil || p.Type != problem.DatabaseUnavailable.URI() {
			t.Errorf("%s %s with the database down: %d %s; want 503 %s", rq.method, rq.path, r.status, r.body, problem.DatabaseUnavailable.URI())
			continue
		}
		if r.header.Get("Retry-After") == "" {
			t.Errorf("%s %s: 503 without Retry-After", rq.method, rq.path)
		}
		for _, leak := range []string{"127.0.0.1", "dial", "connect:", "SQLSTATE", "atrium database"} {
			if strings.Contains(string(r.body), leak) {
				t.Errorf("%s %s: the answer names %q: %s", rq.method, rq.path, leak, r.body)
			}
		}
		if len(r.cookies) > 0 {
			t.Errorf("%s %s with the database down set cookies %v", rq.method, rq.path, r.cookies)
		}
		if took > 2*time.Second {
			t.Errorf("%s %s with the database down took %s", rq.method, rq.path, took)
		}
	}
	if r := s.do(caller{}, "GET", "/readyz", ""); r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "not-ready") {
		t.Errorf("/readyz with the database down: %d %s", r.status, r.body)
	}

	// Down long enough for retries doubling without a cap to be 12.8 s
	// apart (the one after 12.7 s comes at 25.5 s).
	time.Sleep(14 * time.Second)
	if err := pg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	deadline := time.Now().Add(10 * time.Second)
	for s.do(caller{}, "GET", "/readyz", "").status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/readyz is not 200 10 s after the database came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("/readyz answered 200 %s after the start", time.Since(started).Round(time.Millisecond))
	// The feed retries at most listenRetryMax apart, however long the
	// outage lasted.
	waitEvent(t, events, 5*time.Second, "a resync event", func(e sseEvent) bool { return e.typ == "resync" })
	t.Logf("the event stream said resync %s after the start", time.Since(started).Round(time.Millisecond))
	if _, err := st.TransitionSession(ctx, store.SystemScope(), s.sessB.ID, store.Transition{To: store.StateStarting}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, 10*time.Second, "the change made after the restart", func(e sseEvent) bool {
		return e.typ == "" && strings.Contains(e.data, s.sessB.ID.String()) && strings.Contains(e.data, `"state":"starting"`)
	})
	if r := s.do(owner, "GET", "/api/v1/sessions", ""); r.status != http.StatusOK {
		t.Errorf("GET /api/v1/sessions after the restart: %d %s", r.status, r.body)
	}
}

// waitEvent reads events until match accepts one, failing after d or when
// the stream ends.
func waitEvent(t *testing.T, events <-chan sseEvent, d time.Duration, what string, match func(sseEvent) bool) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("the event stream ended before %s", what)
			}
			if match(e) {
				return
			}
		case <-deadline:
			t.Fatalf("no %s on the event stream within %s", what, d)
		}
	}
}
