package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/store"
)

func TestStartPhaseOnlyMovesForwardDuringAStart(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	sc, id := f.scUserA, f.sessA.ID
	set := func(phase, msg string) bool {
		t.Helper()
		ok, err := f.s.SetStartPhase(ctx, sc, id, phase, msg)
		if err != nil {
			t.Fatalf("SetStartPhase(%s, %q): %v", phase, msg, err)
		}
		return ok
	}
	phase := func() (string, string) {
		t.Helper()
		s, err := f.s.GetSession(ctx, sc, id)
		if err != nil {
			t.Fatal(err)
		}
		if s.StartPhase == nil {
			return "", s.StartMessage
		}
		if s.StartPhaseAt == nil {
			t.Fatalf("phase %s has no time", *s.StartPhase)
		}
		return *s.StartPhase, s.StartMessage
	}
	transition := func(to store.SessionState) {
		t.Helper()
		if _, err := f.s.TransitionSession(ctx, sc, id, store.Transition{To: to}); err != nil {
			t.Fatal(err)
		}
	}

	if set("image_ready", "") {
		t.Fatal("a pending session took a start phase")
	}
	transition(store.StateStarting)
	if !set("image_ready", "found") || !set("image_ready", "found locally") {
		t.Fatal("a starting session refused a phase or a new message")
	}
	if set("image_ready", "found locally") {
		t.Fatal("the same phase and message again counted as a change")
	}
	if set("scheduled", "late") {
		t.Fatal("an earlier phase replaced a later one")
	}
	if p, m := phase(); p != "image_ready" || m != "found locally" {
		t.Fatalf("phase %s %q, want image_ready \"found locally\"", p, m)
	}
	if _, err := f.s.SetStartPhase(ctx, sc, id, "bogus", ""); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("unknown phase: err = %v, want ErrInvalid", err)
	}
	if _, err := f.s.SetStartPhase(ctx, sc, id, "waiting_for_app", strings.Repeat("x", store.MaxStartMessage+1)); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("overlong message: err = %v, want ErrInvalid", err)
	}
	if ok, err := f.s.SetStartPhase(ctx, f.scUserB, id, "waiting_for_app", ""); ok || err != nil {
		t.Fatalf("another member's report: ok %v err %v, want nothing changed", ok, err)
	}

	transition(store.StateRunning)
	if p, m := phase(); p != "" || m != "" {
		t.Fatalf("running session keeps phase %s %q", p, m)
	}
	if set("waiting_for_app", "") {
		t.Fatal("a running session took a start phase")
	}
	transition(store.StateHibernating)
	transition(store.StateHibernated)
	transition(store.StateResuming)
	if !set("container_started", "continued") {
		t.Fatal("a resuming session refused a phase")
	}
	transition(store.StateFailed)
	if p, m := phase(); p != "container_started" || m != "continued" {
		t.Fatalf("failed session's phase %s %q, want the one it failed in", p, m)
	}
}
