package plugintest

import (
	"context"
	"testing"
	"time"
)

// step is one subtest of a conformance suite.
type step struct {
	name string
	run  func(t *testing.T, ctx context.Context)
}

// runSteps runs steps as subtests in order, each bounded by timeout, and
// stops at the first that fails, since each depends on the ones before.
func runSteps(t *testing.T, timeout time.Duration, steps []step) {
	t.Helper()
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			s.run(t, ctx)
		})
		if !ok {
			t.Fatalf("step %q failed; the later steps depend on it", s.name)
		}
	}
}
