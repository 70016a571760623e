package docker_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/plugins/runtime-docker/docker"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// TestEngineRestart restarts the Docker engine under a running session
// (as a package upgrade does, without live-restore): the plugin's event
// stream reconnects by itself and reports the dead container, the home
// volume survives, and the session starts again. It restarts the engine,
// so it runs only against a private one: ATRIUM_TEST_ENGINE_RESTART names
// the command that restarts the engine DOCKER_HOST points at
// (scripts/dockerd-private.sh restart); never the shared engine.
func TestEngineRestart(t *testing.T) {
	restart := os.Getenv("ATRIUM_TEST_ENGINE_RESTART")
	if restart == "" {
		t.Skip("set ATRIUM_TEST_ENGINE_RESTART to a command restarting the private engine at DOCKER_HOST (scripts/dockerd-private.sh restart)")
	}
	// A network of its own: a private engine's bridge must not overlap
	// the shared engine's test network.
	cfg, err := json.Marshal(docker.Config{Network: "atrium-test-restart", Subnet: "10.213.77.0/24", Tunnel: docker.TunnelModeSocket, StopTimeout: "2s"})
	if err != nil {
		t.Fatal(err)
	}
	rt := docker.New()
	if _, err := rt.Configure(ctxT(t), plugin.ConfigureRequest{Config: cfg, Instance: instance}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	s := newSession(t, rt, "u-restart-"+runID)
	home := "home-restart-" + runID
	removeVolumeAtEnd(t, "atrium-home-"+home)

	events, done := watchSession(t, rt, s.ID)

	r1, err := rt.StartSession(ctxT(t), runtime.StartRequest{Session: s, Spec: homeSpec(home, "before")})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	waitEvent(t, events, "running", func(st runtime.Status) bool { return st.State == runtime.StateRunning })
	if got := readMarker(t, rt, s, r1.Handle); got != "before\n" {
		t.Fatalf("marker before the restart = %q", got)
	}

	began := time.Now()
	if out, err := exec.Command("sh", "-c", restart).CombinedOutput(); err != nil {
		t.Fatalf("restart the engine (%s): %v\n%s", restart, err, out)
	}
	t.Logf("engine restarted in %s", time.Since(began).Round(time.Millisecond))
	select {
	case err := <-done:
		done <- nil // for the cleanup, which waits for it
		t.Fatalf("WatchEvents ended at the engine restart instead of reconnecting: %v", err)
	default:
	}
	ev := waitEvent(t, events, "exited", func(st runtime.Status) bool {
		return st.State == runtime.StateExited || st.State == runtime.StateMissing
	})
	t.Logf("after the restart the stream reported %s (%s) %s after the restart began", ev.Status.State, ev.Status.Message, time.Since(began).Round(time.Millisecond))

	if _, err := engine.VolumeInspect(ctxT(t), "atrium-home-"+home, client.VolumeInspectOptions{}); err != nil {
		t.Fatalf("home volume after the engine restart: %v", err)
	}
	r2, err := rt.StartSession(ctxT(t), runtime.StartRequest{Session: s, Spec: homeSpec(home, "after")})
	if err != nil {
		t.Fatalf("StartSession after the engine restart: %v", err)
	}
	waitEvent(t, events, "running again", func(st runtime.Status) bool { return st.State == runtime.StateRunning })
	if got := readMarker(t, rt, s, r2.Handle); got != "before\nafter\n" {
		t.Fatalf("marker after starting again = %q, want the home's earlier line kept", got)
	}
}
