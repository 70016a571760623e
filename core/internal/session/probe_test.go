package session

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// fakeTunnelRuntime is a fake runtime for the readiness probe alone: it
// answers OpenTunnel with a fixed endpoint and InspectSession with a fixed
// state, and counts the tunnels asked for. Any other call panics (the
// embedded interface is nil).
type fakeTunnelRuntime struct {
	connect.Runtime
	endpoint string
	state    runtime.State
	tunnels  atomic.Int32
}

func (f *fakeTunnelRuntime) OpenTunnel(context.Context, runtime.TunnelRequest) (connect.Tunnel, error) {
	f.tunnels.Add(1)
	return connect.Tunnel{Endpoint: f.endpoint}, nil
}

func (f *fakeTunnelRuntime) InspectSession(context.Context, runtime.InspectRequest) (runtime.InspectResponse, error) {
	return runtime.InspectResponse{Status: runtime.Status{State: f.state, Addresses: []string{f.endpoint}}}, nil
}

// rfbDescribe is a desktop's description with a slow probe interval, so a
// probe that waited for it would be plain to see.
func rfbDescribe(interval time.Duration) workspace.DescribeResponse {
	return workspace.DescribeResponse{
		Protocol:    workspace.ProtocolVNC,
		Ports:       []launch.Port{{Name: "vnc", Port: 1}}, // the fake's endpoint decides where the probe dials
		PrimaryPort: "vnc",
		Readiness:   workspace.Probe{Kind: workspace.ProbeRFB, Port: "vnc", Interval: interval, Timeout: 5 * time.Second},
	}
}

// pendingSession admits a session that no reconciler drives, so the test
// can run the probe on it by hand.
func pendingSession(t *testing.T) (*Manager, store.Session) {
	e := newEnv(t)
	m, err := New(context.Background(), Options{Store: e.st, Plugins: HostPlugins(e.host), Templates: e.templates,
		Runtimes: e.runtimes, Sealer: e.sealer, Logger: e.log, ReadyTimeout: 20 * time.Second})
	must(t, err)
	s, err := m.Create(context.Background(), e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	return m, s
}

// freeLoopback reserves a loopback address nobody listens on yet.
func freeLoopback(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	must(t, ln.Close())
	return addr
}

// A server that listens a little after its process starts and greets a
// while later (as Xvnc does: it accepts before its screen is ready) is
// noticed within a few tens of milliseconds of being ready, not at the
// workspace's next interval; and while the endpoint refuses, the probe
// redials it without asking the runtime again.
func TestReadinessProbeNoticesAServerSoon(t *testing.T) {
	m, s := pendingSession(t)
	addr := freeLoopback(t)
	rt := &fakeTunnelRuntime{endpoint: addr, state: runtime.StateRunning}
	s.Addresses = []string{addr} // as a start would have recorded it

	const listenAfter, greetAfter = 150 * time.Millisecond, 100 * time.Millisecond
	began := time.Now()
	readyAt := began.Add(listenAfter + greetAfter)
	go func() {
		time.Sleep(listenAfter)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("listen on %s: %v", addr, err)
			return
		}
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		time.Sleep(time.Until(readyAt))
		_, _ = c.Write([]byte("RFB 003.008\n"))
		_, _ = c.Read(make([]byte, 1)) // until the probe hangs up
	}()

	// A 3 s interval: the old fixed cadence would probe again only after it.
	err := m.awaitReady(context.Background(), rt, s, rfbDescribe(3*time.Second), store.StatePending)
	ready := time.Now()
	if err != nil {
		t.Fatalf("awaitReady: %v", err)
	}
	if late := ready.Sub(readyAt); late > 250*time.Millisecond {
		t.Errorf("the probe passed %s after the server was ready; want it within a few tens of milliseconds", late)
	}
	if n := rt.tunnels.Load(); n != 1 {
		t.Errorf("OpenTunnel was called %d times within one probe interval; want 1 (the endpoint redialed)", n)
	}
}

// A process that has ended fails the wait at the first probe, without
// waiting for the ready timeout.
func TestReadinessProbeStopsWhenTheProcessEnds(t *testing.T) {
	m, s := pendingSession(t)
	rt := &fakeTunnelRuntime{endpoint: freeLoopback(t), state: runtime.StateExited}
	began := time.Now()
	err := m.awaitReady(context.Background(), rt, s, rfbDescribe(3*time.Second), store.StatePending)
	if err == nil || !strings.Contains(err.Error(), "failed before it was ready") {
		t.Fatalf("awaitReady = %v, want the process's end", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("awaitReady took %s to notice the process had ended", d)
	}
}
