package session

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// A reload swaps the templates while the API, the relay and the
// reconciler read them (run with -race): readers see the old set or the
// new one, a session already running stays as it is, and the new set
// serves from then on.
func TestSetTemplatesWhileReadersRun(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(nil)
	ctx := context.Background()
	running, err := m.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	running = e.waitState(running, store.StateRunning)

	echo := e.templates[0]
	changed := *echo
	changed.Image, changed.CPU = "echo:2", 2
	next := []*config.Template{&changed,
		{Name: "echo-b", Workspace: "echo", Runtime: "proc", CPU: 1, Memory: 256 << 20, Config: hclBody(t, `mode = "echo"`)}}
	old := e.templates

	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for range 30 {
				ts, err := m.Usable(ctx, e.scAlice, e.org.ID)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ts) != 2 || ts[0].Name != "echo" {
					t.Errorf("Usable saw a half-swapped set: %d templates", len(ts))
					return
				}
				if tpl := m.Template("echo"); tpl == nil {
					t.Error(`template "echo" vanished during a swap`)
					return
				}
				_ = m.Kind(ctx, "echo")
				if _, err := m.DialPrimary(ctx, running); err != nil {
					t.Errorf("dial the running session during a swap: %v", err)
					return
				}
			}
		})
	}
	// The writer swaps until every reader is through.
	done := make(chan struct{})
	go func() { readers.Wait(); close(done) }()
	for i := 0; ; i++ {
		select {
		case <-done:
		default:
			if i%2 == 0 {
				m.SetTemplates(next, &hcl.EvalContext{})
			} else {
				m.SetTemplates(old, nil)
			}
			continue
		}
		break
	}
	m.SetTemplates(next, nil)

	if got := m.Template("echo"); got.Image != "echo:2" || got.CPU != 2 {
		t.Errorf(`template "echo" after the reload = %+v, want the changed one`, got)
	}
	if _, err := m.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "crash"}); !errors.Is(err, ErrTemplateNotFound) {
		t.Errorf(`create from the removed template "crash": %v, want ErrTemplateNotFound`, err)
	}
	b, err := m.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo-b"})
	must(t, err)
	b = e.waitState(b, store.StateRunning)
	if got := e.talk(b, "from b"); got != "from b" {
		t.Fatalf("echo through the new template's session = %q", got)
	}

	// The session that ran before the reload is the same process.
	cur, err := e.st.GetSession(ctx, store.SystemScope(), running.ID)
	must(t, err)
	if cur.State != store.StateRunning || cur.InstanceID != running.InstanceID || handlePID(t, cur) != handlePID(t, running) {
		t.Fatalf("the running session changed with the reload: %+v, was %+v", cur, running)
	}
	if got := e.talk(cur, "still here"); got != "still here" {
		t.Fatalf("echo through the earlier session = %q", got)
	}
}
