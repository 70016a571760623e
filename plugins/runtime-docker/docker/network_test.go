package docker_test

import (
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/plugins/runtime-docker/docker"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// TestSessionsCannotReachEachOther starts two sessions on the plugin's
// network: the host reaches both, but one session cannot open a connection
// to the other, as web apps without auth of their own (code-server,
// Jupyter) rely on.
func TestSessionsCannotReachEachOther(t *testing.T) {
	rt := newRuntime(t, docker.TunnelModeEndpoint)

	b := newSession(t, rt, "u-b-"+runID)
	respB, err := rt.StartSession(ctxT(t), runtime.StartRequest{Session: b, Spec: echoSpec()})
	if err != nil {
		t.Fatalf("StartSession B: %v", err)
	}
	conn := dialWhenReady(t, rt, b.ID, respB.Handle, echoPort)
	if err := probeEcho(conn); err != nil {
		t.Fatalf("the host cannot reach session B: %v", err)
	}
	_ = conn.Close()
	ipB := inspectContainer(t, respB.Handle).NetworkSettings.Networks[testNetwork].IPAddress.String()

	a := newSession(t, rt, "u-a-"+runID)
	target := net.JoinHostPort(ipB, strconv.Itoa(echoPort))
	respA, err := rt.StartSession(ctxT(t), runtime.StartRequest{Session: a, Spec: echoSpec("-reach", target)})
	if err != nil {
		t.Fatalf("StartSession A: %v", err)
	}
	dialWhenReady(t, rt, a.ID, respA.Handle, echoPort).Close()
	c := dialWhenReady(t, rt, a.ID, respA.Handle, catPort)
	defer c.Close()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read session A's answer: %v", err)
	}
	if !strings.HasPrefix(string(got), "unreachable") {
		t.Fatalf("session A connecting to session B at %s: %q, want unreachable", target, got)
	}
	t.Logf("session A to session B at %s: %s", target, got)
}
