package docker_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/plugins/runtime-docker/docker"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// stepTimeout bounds each wait of a test.
const stepTimeout = 30 * time.Second

// testConfig is the plugin's config block for the tests' network.
func testConfig(tunnel string) json.RawMessage {
	b, err := json.Marshal(docker.Config{
		Network:     testNetwork,
		Subnet:      testSubnet,
		Tunnel:      tunnel,
		StopTimeout: "2s",
	})
	if err != nil {
		panic(err)
	}
	return b
}

// newRuntime returns a runtime configured for the tests, as a fresh plugin
// process would be.
func newRuntime(t *testing.T, tunnel string) *docker.Runtime {
	t.Helper()
	rt := docker.New()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if _, err := rt.Configure(ctx, plugin.ConfigureRequest{Config: testConfig(tunnel), Instance: instance}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	return rt
}

// newSession returns a session of user with a fresh id. Whatever the test
// leaves of it is removed when the test ends.
func newSession(t *testing.T, rt *docker.Runtime, user string) runtime.Session {
	t.Helper()
	s := runtime.Session{
		ID:       "t-" + randomHex(6),
		UserID:   user,
		OrgID:    "org-" + runID,
		Template: "echo",
		Labels:   map[string]string{"atrium-test-run": runID},
	}
	t.Cleanup(func() { removeSessionObjects(t, s.ID) })
	return s
}

// removeSessionObjects removes the containers of session id behind the
// plugin's back, so cleanup works even when the plugin is at fault.
func removeSessionObjects(t *testing.T, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	f := make(client.Filters).Add("label", docker.LabelSession+"="+id)
	res, err := engine.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Errorf("list containers of session %s for cleanup: %v", id, err)
		return
	}
	for _, c := range res.Items {
		if _, err := engine.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			t.Errorf("remove container %s of session %s: %v", c.ID, id, err)
		}
	}
}

// removeVolumeAtEnd removes a home volume when the test ends.
func removeVolumeAtEnd(t *testing.T, name string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		defer cancel()
		_, _ = engine.VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: true})
	})
}

// echoSpec runs the echo server, with extra flags.
func echoSpec(flags ...string) launch.Spec {
	return launch.Spec{
		Image:   echoImage,
		Command: append([]string{"/echo"}, flags...),
		Ports:   []launch.Port{{Name: "echo", Port: echoPort}},
	}
}

// ctxT is a context bounded by stepTimeout.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	t.Cleanup(cancel)
	return ctx
}

// waitState polls InspectSession until ok accepts the status or the
// deadline passes.
func waitState(t *testing.T, rt *docker.Runtime, id string, h runtime.Handle, want string, ok func(runtime.Status) bool) runtime.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last runtime.Status
	for {
		resp, err := rt.InspectSession(ctx, runtime.InspectRequest{SessionID: id, Handle: h})
		if err == nil && ok(resp.Status) {
			return resp.Status
		}
		last = resp.Status
		select {
		case <-ctx.Done():
			t.Fatalf("session %s not %s within %s: last %s (%s), error %v", id, want, stepTimeout, last.State, last.Message, err)
		case <-tick.C:
		}
	}
}

// dialWhenReady dials a session's port through the plugin until the
// session's server answers.
func dialWhenReady(t *testing.T, rt *docker.Runtime, id string, h runtime.Handle, port int) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := rt.Dial(ctx, runtime.TunnelRequest{SessionID: id, Handle: h, Port: port})
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			return conn
		}
		select {
		case <-ctx.Done():
			t.Fatalf("dial session %s port %d: %v", id, port, err)
		case <-tick.C:
		}
	}
}

// probeEcho writes random bytes and checks that the same bytes come back.
func probeEcho(conn net.Conn) error {
	want := make([]byte, 4096)
	if _, err := rand.Read(want); err != nil {
		return err
	}
	if _, err := conn.Write(want); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(conn, got); err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("echo returned different bytes")
	}
	return nil
}

// inspectContainer inspects the session's container through the tests'
// own client.
func inspectContainer(t *testing.T, h runtime.Handle) container.InspectResponse {
	t.Helper()
	var hv struct {
		ContainerID string `json:"container_id"`
	}
	if err := json.Unmarshal(h.Data, &hv); err != nil || hv.ContainerID == "" {
		t.Fatalf("handle %q names no container: %v", h.Data, err)
	}
	res, err := engine.ContainerInspect(ctxT(t), hv.ContainerID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect container %s: %v", hv.ContainerID, err)
	}
	return res.Container
}
