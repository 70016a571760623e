package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// Probe defaults, when the workspace leaves them zero.
const (
	defaultProbeInterval = 500 * time.Millisecond
	defaultProbeTimeout  = 5 * time.Second
)

// errSuperseded stops a step whose session was moved on (stopped, deleted)
// while it worked; the step that the new state needs takes over.
var errSuperseded = errors.New("the session's state changed meanwhile")

// awaitReady runs the workspace's readiness probe through the session's
// tunnel until it passes, the session's process ends, the session is moved
// out of state, or ReadyTimeout passes.
func (m *Manager) awaitReady(ctx context.Context, rt connect.Runtime, s store.Session, desc workspace.DescribeResponse, state store.SessionState) error {
	p := desc.Readiness
	if p.Kind == "" {
		if desc.PrimaryPort == "" && len(desc.Ports) == 0 {
			return nil // nothing to reach: ready once started
		}
		p.Kind = workspace.ProbeTCP
	}
	if p.Port == "" {
		p.Port = desc.PrimaryPort
	}
	port := 0
	for _, pt := range desc.Ports {
		if pt.Name == p.Port {
			port = pt.Port
		}
	}
	if p.Port == "" && len(desc.Ports) > 0 {
		port = desc.Ports[0].Port
	}
	if port == 0 {
		return fmt.Errorf("the workspace's readiness probe names port %q, which it does not describe; this is a bug in the workspace plugin", p.Port)
	}
	interval, timeout := p.Interval, p.Timeout
	if interval <= 0 {
		interval = defaultProbeInterval
	}
	if timeout <= 0 {
		timeout = defaultProbeTimeout
	}
	deadline := time.Now().Add(m.opts.ReadyTimeout)
	handle := runtime.Handle{Version: uint32(s.HandleVersion), Data: s.HandleData}
	var last error
	for {
		actx, cancel := context.WithTimeout(ctx, timeout)
		last = m.probeOnce(actx, rt, s, handle, p, port)
		cancel()
		if last == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		cctx, cancel := m.callCtx(ctx)
		ins, err := rt.InspectSession(cctx, runtime.InspectRequest{SessionID: s.ID.String(), Handle: handle})
		cancel()
		if err == nil && (ins.Status.State == runtime.StateExited || ins.Status.State == runtime.StateMissing) {
			return fmt.Errorf("the session's process ended before it was ready (%s)", describeStatus(ins.Status))
		}
		cur, err := m.st.GetSession(ctx, system, s.ID)
		if err == nil && cur.State != state {
			return errSuperseded
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the session was not ready after %s: the %s probe on port %d still fails: %v", m.opts.ReadyTimeout, p.Kind, port, last)
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// probeOnce opens a fresh tunnel (socket tokens open one connection each)
// and runs one probe.
func (m *Manager) probeOnce(ctx context.Context, rt connect.Runtime, s store.Session, h runtime.Handle, p workspace.Probe, port int) error {
	t, err := rt.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: s.ID.String(), Handle: h, Port: port})
	if err != nil {
		return fmt.Errorf("open tunnel: %w", err)
	}
	conn, err := relay.DialTunnel(ctx, t, m.networks(s.Runtime))
	if err != nil {
		return err
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	switch p.Kind {
	case workspace.ProbeTCP:
		return nil
	case workspace.ProbeRFB:
		greeting := make([]byte, 12) // "RFB 003.008\n"
		if _, err := io.ReadFull(conn, greeting); err != nil {
			return fmt.Errorf("read RFB greeting: %w", err)
		}
		if string(greeting[:4]) != "RFB " {
			return fmt.Errorf("port %d does not speak RFB (it said %q)", port, greeting)
		}
		return nil
	case workspace.ProbeHTTP:
		return probeHTTP(ctx, conn, p.Path)
	}
	return fmt.Errorf("unknown readiness probe %q; this is a bug in the workspace plugin", p.Kind)
}

// probeHTTP sends one GET over conn and wants a status below 500.
func probeHTTP(ctx context.Context, conn net.Conn, path string) error {
	if path == "" {
		path = "/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://session"+path, nil)
	if err != nil {
		return fmt.Errorf("readiness path %q: %w", path, err)
	}
	req.Close = true
	if err := req.Write(conn); err != nil {
		return fmt.Errorf("send GET %s: %w", path, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return fmt.Errorf("read answer to GET %s: %w", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("GET %s answered %s", path, resp.Status)
	}
	return nil
}

// networks are the prefixes the core may dial for the runtime's endpoint
// tunnels.
func (m *Manager) networks(runtimeName string) []netip.Prefix {
	if r := m.runtimes[runtimeName]; r != nil {
		return r.Networks
	}
	return nil
}

// describeStatus words a runtime status for a person.
func describeStatus(st runtime.Status) string {
	msg := st.State.String()
	if st.Message != "" {
		msg += ": " + st.Message
	}
	if st.State == runtime.StateExited && st.ExitCode != 0 {
		msg += fmt.Sprintf(" (exit code %d)", st.ExitCode)
	}
	return msg
}
