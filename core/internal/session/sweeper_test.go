package session

import (
	"context"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/store/storetest"
)

// TestOneSweeperAmongReplicas: of two cores' lockers on one database only
// one sweeps, it stays the sweeper, and when it goes the other takes over.
func TestOneSweeperAmongReplicas(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	a, b := newLocker(st.Pool()), newLocker(st.Pool())
	defer a.close()
	defer b.close()
	if !a.sweeper(ctx) {
		t.Fatal("the first replica did not become the sweeper with none other")
	}
	if b.sweeper(ctx) {
		t.Fatal("a second replica became the sweeper while the first holds it")
	}
	if !a.sweeper(ctx) {
		t.Fatal("the sweeper lost its role at its next tick")
	}
	a.close()
	// The server frees the lock when the closed connection's backend
	// exits, a moment after the close: the next tick takes it.
	deadline := time.Now().Add(5 * time.Second)
	for !b.sweeper(ctx) {
		if time.Now().After(deadline) {
			t.Fatal("the second replica did not take over within 5 s of the sweeper going")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
