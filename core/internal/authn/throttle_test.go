package authn

import (
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	th := NewThrottle(3, time.Minute)
	now := time.Now()
	for i := 0; i < 3; i++ {
		if !th.Allow("192.0.2.1", "Alice", now) {
			t.Fatalf("attempt %d refused", i)
		}
		th.Failed("192.0.2.1", "alice", now)
	}
	if th.Allow("192.0.2.1", "ALICE", now) {
		t.Fatal("a fourth attempt within the window was allowed")
	}
	if !th.Allow("192.0.2.2", "alice", now) || !th.Allow("192.0.2.1", "bob", now) {
		t.Fatal("another address or username was throttled")
	}
	if !th.Allow("192.0.2.1", "alice", now.Add(time.Minute)) {
		t.Fatal("still refused after the window")
	}
	th.Succeeded("192.0.2.1", "alice")
	if !th.Allow("192.0.2.1", "alice", now) {
		t.Fatal("a success did not reset the count")
	}
}
