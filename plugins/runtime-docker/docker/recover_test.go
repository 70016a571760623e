package docker_test

import (
	"testing"

	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/plugins/runtime-docker/docker"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// TestRecover recovers sessions with fresh plugin instances, as the core
// does after a plugin crash.
func TestRecover(t *testing.T) {
	rt := newRuntime(t, docker.TunnelModeEndpoint)
	s := newSession(t, rt, "u-recover-"+runID)
	resp, err := rt.StartSession(ctxT(t), runtime.StartRequest{Session: s, Spec: echoSpec()})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	running := waitState(t, rt, s.ID, resp.Handle, "running", func(st runtime.Status) bool { return st.State == runtime.StateRunning })

	t.Run("lost handle", func(t *testing.T) {
		rec, err := newRuntime(t, docker.TunnelModeEndpoint).RecoverSession(ctxT(t), runtime.RecoverRequest{SessionID: s.ID})
		if err != nil {
			t.Fatalf("RecoverSession without a handle: %v", err)
		}
		if rec.Status.State != runtime.StateRunning || rec.Status.InstanceID != running.InstanceID {
			t.Fatalf("RecoverSession without a handle: %s instance %q, want running %q", rec.Status.State, rec.Status.InstanceID, running.InstanceID)
		}
		if rec.Handle.Version == 0 || len(rec.Handle.Data) == 0 {
			t.Error("RecoverSession found the container by label but returned no new handle")
		}
	})

	t.Run("removed behind its back", func(t *testing.T) {
		c := inspectContainer(t, resp.Handle)
		if _, err := engine.ContainerRemove(ctxT(t), c.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Fatalf("docker rm: %v", err)
		}
		rec, err := newRuntime(t, docker.TunnelModeEndpoint).RecoverSession(ctxT(t), runtime.RecoverRequest{SessionID: s.ID, Handle: resp.Handle})
		if err != nil {
			t.Fatalf("RecoverSession of a removed container: %v; want StateMissing, not an error", err)
		}
		if rec.Status.State != runtime.StateMissing {
			t.Fatalf("RecoverSession of a removed container: %s, want missing", rec.Status.State)
		}
	})
}
