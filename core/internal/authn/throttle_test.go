package authn

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// TestThrottle counts through two Throttles on one database, as two core
// replicas would: failures recorded by either add up.
func TestThrottle(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	replicaA, replicaB := NewThrottle(st, 3, time.Minute), NewThrottle(st, 3, time.Minute)
	allow := func(th *Throttle, ip, user string, at time.Time) bool {
		t.Helper()
		ok, err := th.Allow(ctx, ip, user, at)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	now := time.Now()
	for i, th := range []*Throttle{replicaA, replicaB, replicaA} {
		if !allow(th, "192.0.2.1", "Alice", now) {
			t.Fatalf("attempt %d refused", i)
		}
		if err := th.Failed(ctx, "192.0.2.1", "alice", now); err != nil {
			t.Fatal(err)
		}
	}
	if allow(replicaB, "192.0.2.1", "ALICE", now) {
		t.Fatal("a fourth attempt within the window was allowed: the replicas do not share the count")
	}
	if !allow(replicaA, "192.0.2.2", "alice", now) || !allow(replicaA, "192.0.2.1", "bob", now) {
		t.Fatal("another address or username was throttled")
	}
	later := now.Add(time.Minute + time.Second)
	if !allow(replicaA, "192.0.2.1", "alice", later) {
		t.Fatal("still refused after the window")
	}
	// A failure after the window starts a new count of one.
	if err := replicaB.Failed(ctx, "192.0.2.1", "alice", later); err != nil {
		t.Fatal(err)
	}
	if f, err := st.RecentLoginFailures(ctx, "192.0.2.1", "alice", time.Minute, later); err != nil || f.Failures != 1 {
		t.Fatalf("after the window: %+v, %v; want a fresh count of 1", f, err)
	}
	if err := replicaA.Succeeded(ctx, "192.0.2.1", "ALICE"); err != nil {
		t.Fatal(err)
	}
	if f, _ := st.RecentLoginFailures(ctx, "192.0.2.1", "alice", time.Minute, later); f.Failures != 0 {
		t.Fatalf("a success did not reset the count: %+v", f)
	}
	for _, user := range []string{"bob", "carol"} {
		if err := replicaA.Failed(ctx, "192.0.2.3", user, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := replicaA.Failed(ctx, "192.0.2.3", "dave", later); err != nil {
		t.Fatal(err)
	}
	if n, err := replicaA.Prune(ctx, now.Add(time.Minute)); err != nil || n != 2 {
		t.Fatalf("prune removed %d rows (%v); want the 2 whose window has passed", n, err)
	}
}
