package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// phasesUntil reads changes of session id until it reaches state want and
// returns the start phases announced on the way, in order, with messages.
func phasesUntil(t *testing.T, changes <-chan Change, s store.Session, want store.SessionState) []Change {
	t.Helper()
	var out []Change
	timeout := time.After(45 * time.Second)
	for {
		select {
		case c, ok := <-changes:
			if !ok {
				t.Fatal("the watcher dropped the subscription")
			}
			if c.ID != s.ID {
				continue
			}
			if !c.StateChanged() {
				out = append(out, c)
				continue
			}
			if c.To == want {
				if c.StartPhase != "" {
					t.Errorf("the change to %s still carries start phase %q", want, c.StartPhase)
				}
				return out
			}
			if c.To == store.StateFailed {
				t.Fatalf("session failed while starting; phases so far %v", out)
			}
		case <-timeout:
			t.Fatalf("session %s not %s after 45s; phases so far %v", s.ID, want, out)
		}
	}
}

func phaseNames(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.StartPhase)
	}
	return out
}

// A start's phases, the runtime's and the core's own, reach the database
// and every watcher in order, and are cleared once the session runs; a
// resume reports its own.
func TestStartPhasesReachStoreAndWatcherInOrder(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(nil)
	changes, unsubscribe := m.Watcher().Subscribe(e.scAlice)
	defer unsubscribe()
	ctx := context.Background()

	s, err := m.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	got := phasesUntil(t, changes, s, store.StateRunning)
	want := []string{string(runtime.PhaseScheduled), string(runtime.PhaseContainerStarted), string(runtime.PhaseWaitingForApp)}
	if strings.Join(phaseNames(got), " ") != strings.Join(want, " ") {
		t.Fatalf("start phases %v, want %v", phaseNames(got), want)
	}
	for _, c := range got {
		if c.To != store.StateStarting {
			t.Errorf("phase %s announced in state %s, want starting", c.StartPhase, c.To)
		}
	}
	if msg := got[1].StartMessage; !strings.HasPrefix(msg, "process ") || !strings.HasSuffix(msg, " started") {
		t.Errorf("container_started message %q, want runtime-process's own", msg)
	}
	if msg := got[2].StartMessage; msg != "waiting for Echo to answer" {
		t.Errorf("waiting_for_app message %q, want the core's, naming the workspace", msg)
	}
	cur, err := e.st.GetSession(ctx, system, s.ID)
	must(t, err)
	if cur.StartPhase != nil || cur.StartMessage != "" || cur.StartPhaseAt != nil {
		t.Fatalf("running session keeps start progress %v %q %v", cur.StartPhase, cur.StartMessage, cur.StartPhaseAt)
	}

	_, err = m.Hibernate(ctx, e.scAlice, s.ID)
	must(t, err)
	e.waitState(s, store.StateHibernated)
	_, err = m.Resume(ctx, e.scAlice, s.ID)
	must(t, err)
	got = phasesUntil(t, changes, s, store.StateRunning)
	want = []string{string(runtime.PhaseContainerStarted), string(runtime.PhaseWaitingForApp)}
	if strings.Join(phaseNames(got), " ") != strings.Join(want, " ") {
		t.Fatalf("resume phases %v, want %v", phaseNames(got), want)
	}
	if got[0].To != store.StateResuming || !strings.HasSuffix(got[0].StartMessage, " continued") {
		t.Errorf("resume's first phase %+v, want runtime-process's container_started while resuming", got[0])
	}
}

// A session that fails on the way keeps the phase it got to, so its owner
// can see how far the start came.
func TestFailedStartKeepsItsPhase(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(nil)
	s, err := m.Create(context.Background(), e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "crash"})
	must(t, err)
	s = e.waitState(s, store.StateFailed)
	if s.StartPhase == nil || *s.StartPhase != string(runtime.PhaseWaitingForApp) {
		t.Fatalf("failed session's start phase = %v, want waiting_for_app (error %q)", s.StartPhase, s.Error)
	}
}

func TestCleanMessage(t *testing.T) {
	long := strings.Repeat("é", store.MaxStartMessage+50)
	for _, c := range []struct{ in, want string }{
		{"pulled image sha256:abc", "pulled image sha256:abc"},
		{"  two\t\tspaces\nand a line  ", "two spaces and a line"},
		{"bell\a escape\x1b[31mred\x1b[0m", "bell escape[31mred[0m"},
		{"bidi \u202eevil\u202c zero\u200bwidth", "bidi evil zerowidth"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{long, strings.Repeat("é", store.MaxStartMessage-1) + "…"},
	} {
		if got := cleanMessage(c.in); got != c.want {
			t.Errorf("cleanMessage(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
