package plugintest

import (
	"sync"
	"testing"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// progressLog records the progress a runtime reported to the host.
type progressLog struct {
	mu  sync.Mutex
	got []runtime.Progress
}

func (l *progressLog) add(p runtime.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, p)
}

// check fails t unless the known phases came in order and want are among
// them, in that order.
func (l *progressLog) check(t *testing.T, call string, want []runtime.Phase) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var phases []runtime.Phase
	last := 0
	for _, p := range l.got {
		if r := p.Phase.Rank(); r != 0 {
			if r < last {
				t.Errorf("%s reported phase %q after a later one; got %v", call, p.Phase, l.got)
			}
			last = r
		}
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	}
	i := 0
	for _, p := range phases {
		if i < len(want) && p == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("%s reported phases %v, want %v among them in order", call, phases, want)
	}
}
