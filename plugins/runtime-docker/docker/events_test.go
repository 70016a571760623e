package docker_test

import (
	"context"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/plugins/runtime-docker/docker"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// TestWatchEventsReportsKill kills a session's container behind the
// plugin's back and expects an event saying the session exited.
func TestWatchEventsReportsKill(t *testing.T) {
	rt := newRuntime(t, docker.TunnelModeEndpoint)
	s := newSession(t, rt, "u-events-"+runID)

	events, _ := watchSession(t, rt, s.ID)

	resp, err := rt.StartSession(ctxT(t), runtime.StartRequest{Session: s, Spec: echoSpec()})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	// The start event proves the watch is live before the kill.
	waitEvent(t, events, "running", func(st runtime.Status) bool { return st.State == runtime.StateRunning })

	c := inspectContainer(t, resp.Handle)
	if _, err := engine.ContainerKill(ctxT(t), c.ID, client.ContainerKillOptions{}); err != nil {
		t.Fatalf("docker kill: %v", err)
	}
	ev := waitEvent(t, events, "exited", func(st runtime.Status) bool { return st.State == runtime.StateExited })
	if ev.Status.ExitCode != 137 {
		t.Errorf("exit code %d, want 137 (SIGKILL)", ev.Status.ExitCode)
	}
	if ev.Time.IsZero() || time.Since(ev.Time) > time.Minute {
		t.Errorf("event time %v is not the kill's", ev.Time)
	}
	t.Logf("kill reported: %s (%s)", ev.Status.State, ev.Status.Message)

	if _, err := engine.ContainerRemove(ctxT(t), c.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatalf("docker rm: %v", err)
	}
	waitEvent(t, events, "missing", func(st runtime.Status) bool { return st.State == runtime.StateMissing })
}

// waitEvent waits for an event whose status ok accepts.
// watchSession runs rt.WatchEvents until the test ends and passes on the
// events of session id. done receives what WatchEvents returned; the
// cleanup waits for it, so a test that reads it early must put it back.
func watchSession(t *testing.T, rt *docker.Runtime, id string) (<-chan runtime.Event, chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan runtime.Event, 64)
	done := make(chan error, 1)
	go func() {
		done <- rt.WatchEvents(ctx, func(e runtime.Event) error {
			if e.SessionID == id {
				events <- e
			}
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("WatchEvents after its context ended: %v; want nil", err)
		}
	})
	return events, done
}

func waitEvent(t *testing.T, events <-chan runtime.Event, want string, ok func(runtime.Status) bool) runtime.Event {
	t.Helper()
	deadline := time.After(stepTimeout)
	for {
		select {
		case e := <-events:
			if ok(e.Status) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event within %s", want, stepTimeout)
		}
	}
}
