package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/store"
)

func TestSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	sc := f.scUserA
	id := f.sessA.ID
	if f.sessA.State != store.StatePending {
		t.Fatalf("new session in %s, want pending", f.sessA.State)
	}
	path := []store.SessionState{store.StateStarting, store.StateRunning, store.StateHibernating,
		store.StateHibernated, store.StateResuming, store.StateRunning, store.StateStopping, store.StateStopped, store.StateDeleted}
	for _, to := range path {
		s, err := f.s.TransitionSession(ctx, sc, id, store.Transition{To: to, Message: "to " + string(to)})
		if err != nil {
			t.Fatalf("-> %s: %v", to, err)
		}
		if s.State != to {
			t.Fatalf("state %s, want %s", s.State, to)
		}
	}
	s, err := f.s.GetSession(ctx, sc, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.StartedAt == nil || s.StoppedAt == nil {
		t.Fatalf("timestamps not set: started %v stopped %v", s.StartedAt, s.StoppedAt)
	}
	evs, err := f.s.SessionEvents(ctx, sc, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != len(path)+1 || evs[0].FromState != nil || *evs[1].FromState != store.StatePending || evs[len(evs)-1].ToState != store.StateDeleted {
		t.Fatalf("events: %+v", evs)
	}
}

// TestStoppedOutsideAtrium: a running session its runtime reports stopped
// from outside goes straight to stopped and keeps the reason; a stop that
// was asked for records none.
func TestStoppedOutsideAtrium(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, to := range []store.SessionState{store.StateStarting, store.StateRunning} {
		if _, err := f.s.TransitionSession(ctx, f.scUserA, f.sessA.ID, store.Transition{To: to}); err != nil {
			t.Fatalf("-> %s: %v", to, err)
		}
	}
	const reason = "runtime restarted while it ran"
	s, err := f.s.TransitionSession(ctx, f.scUserA, f.sessA.ID, store.Transition{From: store.StateRunning, To: store.StateStopped, StopReason: reason})
	if err != nil {
		t.Fatalf("running -> stopped: %v", err)
	}
	if s.State != store.StateStopped || s.StopReason != reason || s.Error != "" || s.StoppedAt == nil {
		t.Fatalf("after running -> stopped: state %s, reason %q, error %q, stopped at %v; want stopped, %q, no error, a time", s.State, s.StopReason, s.Error, s.StoppedAt, reason)
	}
	for _, to := range []store.SessionState{store.StateStarting, store.StateRunning, store.StateStopping, store.StateStopped} {
		if s, err = f.s.TransitionSession(ctx, f.scAdminA, f.sessA2.ID, store.Transition{To: to}); err != nil {
			t.Fatalf("-> %s: %v", to, err)
		}
	}
	if s.StopReason != "" {
		t.Fatalf("a requested stop has reason %q, want none", s.StopReason)
	}
}

func TestIllegalTransitionsRefusedByDatabase(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	id := f.sessA.ID

	// Through the store.
	for _, to := range []store.SessionState{store.StateRunning, store.StateHibernated, store.StateStopped, store.StateDeleted} {
		_, err := f.s.TransitionSession(ctx, f.scUserA, id, store.Transition{To: to})
		if !errors.Is(err, store.ErrIllegalTransition) {
			t.Fatalf("pending -> %s: err = %v, want ErrIllegalTransition", to, err)
		}
	}
	// Directly in SQL, bypassing every Go check: the trigger refuses.
	_, err := f.s.Pool().Exec(ctx, `UPDATE sessions SET state = 'running' WHERE id = $1`, id)
	if sqlState(err) != "AT001" {
		t.Fatalf("raw UPDATE pending -> running: err = %v, want the trigger's AT001", err)
	}
	_, err = f.s.Pool().Exec(ctx, `UPDATE sessions SET state = 'deleted'`)
	if sqlState(err) != "AT001" {
		t.Fatalf("raw UPDATE of every session to deleted: err = %v, want AT001", err)
	}
	_, err = f.s.Pool().Exec(ctx, `INSERT INTO sessions (org_id, user_id, template, runtime, state) VALUES ($1, $2, 't', 'r', 'running')`, f.orgA.ID, f.userA.ID)
	if sqlState(err) != "AT001" {
		t.Fatalf("INSERT of a session in running: err = %v, want AT001", err)
	}
	_, err = f.s.Pool().Exec(ctx, `UPDATE sessions SET state = 'bogus' WHERE id = $1`, id)
	if err == nil {
		t.Fatal("an unknown state was accepted")
	}
	// A legal change made directly in SQL passes: the trigger enforces the
	// transitions table, not a particular code path.
	_, err = f.s.Pool().Exec(ctx, `UPDATE sessions SET state = 'starting' WHERE id = $1`, f.sessB.ID)
	if err != nil {
		t.Fatalf("legal raw UPDATE refused: %v", err)
	}
	// A terminal state goes nowhere but deleted.
	for _, to := range []store.SessionState{store.StateStopping, store.StateStopped} {
		if _, err := f.s.TransitionSession(ctx, f.scUserA, id, store.Transition{To: to}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.s.TransitionSession(ctx, f.scUserA, id, store.Transition{To: store.StateStarting}); !errors.Is(err, store.ErrIllegalTransition) {
		t.Fatalf("stopped -> starting: err = %v, want ErrIllegalTransition", err)
	}
	got, err := f.s.GetSession(ctx, f.scUserA, id)
	if err != nil || got.State != store.StateStopped {
		t.Fatalf("after refused changes: %s %v, want stopped", got.State, err)
	}
	// Failed may be stopped again to clean up, then deleted.
	id2 := f.sessA2.ID
	for _, tr := range []store.Transition{{To: store.StateFailed, Error: "image missing"}, {To: store.StateStopping}, {To: store.StateStopped}, {To: store.StateDeleted}} {
		s, err := f.s.TransitionSession(ctx, f.scAdminA, id2, tr)
		if err != nil {
			t.Fatalf("-> %s: %v", tr.To, err)
		}
		if tr.To == store.StateFailed && s.Error != "image missing" {
			t.Fatalf("error not stored: %q", s.Error)
		}
	}
}

func TestTransitionCompareAndSet(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, err := f.s.TransitionSession(ctx, f.scUserA, f.sessA.ID, store.Transition{From: store.StateRunning, To: store.StateStopping})
	if !errors.Is(err, store.ErrStateChanged) {
		t.Fatalf("err = %v, want ErrStateChanged", err)
	}
	if _, err := f.s.TransitionSession(ctx, f.scUserA, f.sessA.ID, store.Transition{From: store.StatePending, To: store.StateStarting}); err != nil {
		t.Fatal(err)
	}
}

func TestSessionTransitionsTable(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tr, err := f.s.SessionTransitions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	has := func(from, to store.SessionState) bool {
		for _, s := range tr[from] {
			if s == to {
				return true
			}
		}
		return false
	}
	if !has(store.StatePending, store.StateStarting) || !has(store.StateFailed, store.StateStopping) || has(store.StateDeleted, store.StatePending) {
		t.Fatalf("transitions: %v", tr)
	}
}

func TestSessionHandleAndQuota(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s, err := f.s.SetSessionHandle(ctx, f.scUserA, f.sessA.ID, "ctr-1", 2, []byte("opaque"))
	if err != nil || s.InstanceID != "ctr-1" || s.HandleVersion != 2 || string(s.HandleData) != "opaque" {
		t.Fatalf("handle: %+v %v", s, err)
	}
	if err := f.s.TouchSessionActivity(ctx, f.scUserA, f.sessA.ID); err != nil {
		t.Fatal(err)
	}

	target := store.QuotaTarget{Scope: store.QuotaOrg, ID: f.orgA.ID}
	q, err := f.s.GetQuota(ctx, f.scAdminA, target)
	if err != nil || q.Limits.MaxSessions != nil {
		t.Fatalf("unset quota: %+v %v", q, err)
	}
	q, err = f.s.SetQuota(ctx, f.scAdminA, target, store.Limits{MaxSessions: ptr[int32](2), MaxMemoryBytes: ptr[int64](4 << 30)})
	if err != nil || *q.Limits.MaxSessions != 2 || q.Limits.MaxCPUMillis != nil {
		t.Fatalf("set quota: %+v %v", q, err)
	}
	q, err = f.s.SetQuota(ctx, f.scAdminA, target, store.Limits{MaxSessions: ptr[int32](5)})
	if err != nil || *q.Limits.MaxSessions != 5 || q.Limits.MaxMemoryBytes != nil {
		t.Fatalf("replace quota: %+v %v", q, err)
	}
	if _, err := f.s.GetQuota(ctx, f.scUserB, target); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("org B reading org A's quota: err = %v, want ErrNotFound", err)
	}
	uq, err := f.s.SetQuota(ctx, f.scRoot, store.QuotaTarget{Scope: store.QuotaUser, ID: f.userA.ID}, store.Limits{MaxCPUMillis: ptr[int64](500)})
	if err != nil || *uq.Limits.MaxCPUMillis != 500 {
		t.Fatalf("user quota: %+v %v", uq, err)
	}

	err = f.s.InTx(ctx, func(q *store.Queries) error {
		if err := q.LockForAdmission(ctx, f.orgA.ID, f.userA.ID); err != nil {
			return err
		}
		u, err := q.Usage(ctx, target)
		if err != nil {
			return err
		}
		if u.Sessions != 2 || u.CPUMillis != 2000 || u.MemoryBytes != 2<<30 {
			t.Errorf("org A usage: %+v", u)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
