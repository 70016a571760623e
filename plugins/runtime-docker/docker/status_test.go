package docker

import (
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// exited is an exited session container that finished at finished.
func exited(code int, oom bool, finished time.Time) container.InspectResponse {
	return container.InspectResponse{
		ID:     "c1",
		Name:   "/atrium-s1",
		Config: &container.Config{Labels: map[string]string{LabelSession: "s1"}},
		State: &container.State{Status: container.StateExited, ExitCode: code, OOMKilled: oom,
			StartedAt: "2026-01-01T00:00:00Z", FinishedAt: finished.UTC().Format(time.RFC3339Nano)},
	}
}

// TestExitCause: a container killed by Docker's stop signals was stopped
// from outside; one that exited with an error, or ran out of memory, ended
// on its own; after an event-stream break, a container that ended in the
// gap (other than by an OOM kill) was taken down by the engine's restart.
func TestExitCause(t *testing.T) {
	broke := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	before, after := broke.Add(-time.Minute), broke.Add(-time.Second)
	for _, tc := range []struct {
		name       string
		c          container.InspectResponse
		want       runtime.ExitCause
		afterBreak runtime.ExitCause
		message    string
	}{
		{"SIGTERM", exited(143, false, after), runtime.ExitStoppedOutside, runtime.ExitRuntimeRestarted, "SIGTERM from outside"},
		{"SIGKILL", exited(137, false, after), runtime.ExitStoppedOutside, runtime.ExitRuntimeRestarted, "SIGKILL"},
		{"crash", exited(1, false, before), runtime.ExitOwn, runtime.ExitOwn, "exited with code 1"},
		{"exit in the gap", exited(2, false, after), runtime.ExitOwn, runtime.ExitRuntimeRestarted, "exited with code 2"},
		{"OOM kill", exited(137, true, after), runtime.ExitOwn, runtime.ExitOwn, "memory limit"},
		{"clean exit", exited(0, false, after), runtime.ExitOwn, runtime.ExitRuntimeRestarted, "exited with code 0"},
		{"stopped before the break", exited(143, false, before), runtime.ExitStoppedOutside, runtime.ExitStoppedOutside, "SIGTERM"},
		{"clean exit before the break", exited(0, false, before), runtime.ExitOwn, runtime.ExitOwn, "code 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := statusOf(tc.c)
			if st.State != runtime.StateExited || st.ExitCause != tc.want || !strings.Contains(st.Message, tc.message) {
				t.Errorf("statusOf = %s, cause %s, %q; want exited, cause %s, a message with %q", st.State, st.ExitCause, st.Message, tc.want, tc.message)
			}
			ab := statusAfterBreak(tc.c, broke, 2*time.Second)
			if ab.ExitCause != tc.afterBreak {
				t.Errorf("statusAfterBreak cause = %s (%q), want %s", ab.ExitCause, ab.Message, tc.afterBreak)
			}
			if tc.afterBreak == runtime.ExitRuntimeRestarted && !strings.Contains(ab.Message, "Docker engine restarted") {
				t.Errorf("statusAfterBreak message = %q, want it to say the engine restarted", ab.Message)
			}
			// Docker signalled it first: stopped from outside, unless it
			// ran out of memory or was already judged so.
			want := tc.want
			if want == runtime.ExitOwn && !tc.c.State.OOMKilled {
				want = runtime.ExitStoppedOutside
			}
			if st := stoppedBySignal(tc.c, "15"); st.ExitCause != want {
				t.Errorf("stoppedBySignal cause = %s (%q), want %s", st.ExitCause, st.Message, want)
			}
			if st := stoppedBySignal(tc.c, ""); st.ExitCause != tc.want {
				t.Errorf("stoppedBySignal without a signal: cause = %s, want %s", st.ExitCause, tc.want)
			}
		})
	}
	// A hibernated container is stopped by Atrium itself: no exit to judge.
	h := exited(143, false, after)
	h.Name = "/" + hibernatedName("s1")
	if st := statusAfterBreak(h, broke, 2*time.Second); st.State != runtime.StateStopped || st.ExitCause != runtime.ExitOwn {
		t.Errorf("hibernated container after a break = %s, cause %s; want stopped, no cause", st.State, st.ExitCause)
	}
}
