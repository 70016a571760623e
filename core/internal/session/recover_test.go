package session

import (
	"context"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// noResync keeps the periodic resync out of a test, so that only recovery
// can explain what the test sees.
func noResync(o *Options) { o.ResyncInterval = time.Hour }

func TestPluginKilledSessionsRecovered(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(noResync)
	ctx := context.Background()
	keep, err := m.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	lost, err := m.Create(ctx, e.scBob, CreateRequest{OrgID: e.org.ID, UserID: e.bob.ID, Template: "echo"})
	must(t, err)
	keep, lost = e.waitState(keep, store.StateRunning), e.waitState(lost, store.StateRunning)

	inst := e.host.Get("runtime.proc")
	before := inst.Status()
	// One session dies while its plugin is down, then the plugin is
	// SIGKILLed: only RecoverSession with the stored handle can notice.
	must(t, syscall.Kill(handlePID(t, lost), syscall.SIGKILL))
	must(t, syscall.Kill(before.PID, syscall.SIGKILL))

	lost = e.waitState(lost, store.StateFailed)
	if !strings.Contains(lost.Error, "after the runtime plugin restarted") {
		t.Fatalf("error of the session that died with the plugin: %q", lost.Error)
	}
	if st := inst.Status(); st.Restarts < 1 || st.PID == before.PID {
		t.Fatalf("plugin status after SIGKILL: %+v", st)
	}
	cur, err := e.st.GetSession(ctx, store.SystemScope(), keep.ID)
	must(t, err)
	if cur.State != store.StateRunning || cur.InstanceID != keep.InstanceID {
		t.Fatalf("surviving session after the plugin restart: %s %q, want running %q", cur.State, cur.InstanceID, keep.InstanceID)
	}
	if got := e.talk(cur, "still here"); got != "still here" {
		t.Fatalf("echo after the plugin restart = %q", got)
	}
	// The fresh plugin process can still drive it with the stored handle.
	_, err = m.Stop(ctx, e.scAlice, keep.ID)
	must(t, err)
	e.waitState(keep, store.StateStopped)
	if st := e.inspect(cur); st.State != runtime.StateMissing {
		t.Fatalf("after stop through the new plugin process, runtime says %s", st.State)
	}
}

func TestNewManagerRecoversRunningSessions(t *testing.T) {
	e := newEnv(t)
	first, stopFirst := e.manager(noResync)
	ctx := context.Background()
	keep, err := first.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	lost, err := first.Create(ctx, e.scBob, CreateRequest{OrgID: e.org.ID, UserID: e.bob.ID, Template: "echo"})
	must(t, err)
	keep, lost = e.waitState(keep, store.StateRunning), e.waitState(lost, store.StateRunning)

	// The core dies without stopping anything; one session dies while no
	// core watches. A pending session waits for the next core.
	stopFirst()
	must(t, syscall.Kill(handlePID(t, lost), syscall.SIGKILL))
	queued, err := first.Create(ctx, e.scAdmin, CreateRequest{OrgID: e.org.ID, UserID: e.admin.ID, Template: "echo"})
	must(t, err)

	second, _ := e.manager(noResync)
	e.waitState(lost, store.StateFailed)
	e.waitState(queued, store.StateRunning)
	cur, err := e.st.GetSession(ctx, store.SystemScope(), keep.ID)
	must(t, err)
	if cur.State != store.StateRunning || cur.InstanceID != keep.InstanceID {
		t.Fatalf("running session after a core restart: %s %q, want running %q", cur.State, cur.InstanceID, keep.InstanceID)
	}
	if got := e.talk(cur, "ping"); got != "ping" {
		t.Fatalf("echo after the core restart = %q", got)
	}
	_, err = second.Stop(ctx, e.scAlice, keep.ID)
	must(t, err)
	e.waitState(keep, store.StateStopped)
}

func TestTwoReplicasStartEachSessionOnce(t *testing.T) {
	e := newEnv(t)
	a, _ := e.manager(nil)
	e.manager(nil) // a second core on the same database and plugins
	ctx := context.Background()
	var ss []store.Session
	for _, who := range []struct {
		sc   store.Scope
		user store.User
	}{{e.scAlice, e.alice}, {e.scBob, e.bob}, {e.scAdmin, e.admin}} {
		s, err := a.Create(ctx, who.sc, CreateRequest{OrgID: e.org.ID, UserID: who.user.ID, Template: "echo"})
		must(t, err)
		ss = append(ss, s)
	}
	for _, s := range ss {
		s = e.waitState(s, store.StateRunning)
		evs, err := e.st.SessionEvents(ctx, store.SystemScope(), s.ID)
		must(t, err)
		starts := 0
		for _, ev := range evs {
			if ev.ToState == store.StateStarting {
				starts++
			}
		}
		if starts != 1 || len(evs) != 3 {
			t.Fatalf("session %s went through %d starts in %d events, want 1 in 3", s.ID, starts, len(evs))
		}
	}
	list, err := e.runtime().ListSessions(ctx, runtime.ListRequest{})
	must(t, err)
	if len(list.Sessions) != len(ss) {
		t.Fatalf("runtime runs %d sessions, want %d", len(list.Sessions), len(ss))
	}
}

func TestIdleSessionStoppedBySystem(t *testing.T) {
	e := newEnv(t)
	e.templates[0].IdleTimeout = time.Second
	m, _ := e.manager(func(o *Options) { o.ResyncInterval = 200 * time.Millisecond })
	ctx := context.Background()
	s, err := m.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	s = e.waitState(s, store.StateRunning)
	e.waitState(s, store.StateStopped)
	entries, _, err := e.st.ListAudit(ctx, store.SystemScope(), store.AuditFilter{Action: "session.stop", TargetID: s.ID.String()}, store.Page{})
	must(t, err)
	if len(entries) != 1 || entries[0].UserID != nil || entries[0].Details["reason"] != "idle_timeout" {
		t.Fatalf("audit of the idle stop: %+v", entries)
	}
}

func TestWatcherShowsOnlyVisibleSessions(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(nil)
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[string][]store.SessionState{}
	watch := func(name string, sc store.Scope) {
		ch, cancel := m.Watcher().Subscribe(sc)
		t.Cleanup(cancel)
		go func() {
			for c := range ch {
				mu.Lock()
				// Changes of state only; a stranger must see no start
				// progress either.
				if c.StateChanged() || name == "bob" {
					seen[name] = append(seen[name], c.To)
				}
				mu.Unlock()
			}
		}()
	}
	watch("alice", e.scAlice)
	watch("bob", e.scBob)
	watch("admin", e.scAdmin)
	s, err := m.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	e.waitState(s, store.StateRunning)
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		mu.Lock()
		a, b, ad := len(seen["alice"]), len(seen["bob"]), len(seen["admin"])
		mu.Unlock()
		if a == 3 && ad == 3 {
			if b != 0 {
				t.Fatalf("bob saw alice's session: %v", seen["bob"])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("changes seen: %v", seen)
		}
		<-tick.C
	}
}

// TestCircuitOpenFailsSessionsAtOnce kills the runtime plugin after each
// start until its circuit opens; a session created then fails at once with
// the reason instead of waiting for a plugin that will not come back soon.
func TestCircuitOpenFailsSessionsAtOnce(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(noResync)
	inst := e.host.Get("runtime.proc")
	killed := 0
	deadline := time.Now().Add(30 * time.Second)
	for inst.Status().State != pluginhost.StateCircuitOpen {
		if time.Now().After(deadline) {
			t.Fatalf("the circuit did not open after %d kills: %+v", killed, inst.Status())
		}
		if st := inst.Status(); st.State == pluginhost.StateHealthy && st.PID > 0 {
			must(t, syscall.Kill(st.PID, syscall.SIGKILL))
			killed++
			for inst.Status().State == pluginhost.StateHealthy && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("circuit open after %d kills: %s", killed, inst.Status().LastError)

	began := time.Now()
	s, err := m.Create(context.Background(), e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	s = e.waitState(s, store.StateFailed)
	took := time.Since(began)
	t.Logf("session failed %s after Create: %s", took.Round(time.Millisecond), s.Error)
	if took > 5*time.Second {
		t.Errorf("the session took %s to fail", took)
	}
	if !strings.Contains(s.Error, `runtime "proc"`) || !strings.Contains(s.Error, "circuit is open") {
		t.Errorf("the session's error %q does not name the runtime and its open circuit", s.Error)
	}
}
