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
	"syscall"
	"time"

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

// firstProbeDelay is the pause after the first failed probe; each further
// failure waits half as long again, up to the workspace's interval. A
// server usually listens within a few hundred milliseconds of its start,
// and the user waits for every millisecond between that and the probe
// that notices, so the first probes come quickly; slow starters (an IDE,
// a notebook server) soon fall back to the workspace's own cadence.
const firstProbeDelay = 20 * time.Millisecond

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
	pr := &prober{m: m, rt: rt, s: s, handle: handleOf(s), probe: p, port: port, reuse: interval}
	delay := min(firstProbeDelay, interval)
	var checked time.Time // when the process and the row were last looked at
	var last error
	for {
		actx, cancel := context.WithTimeout(ctx, timeout)
		last = pr.once(actx)
		cancel()
		if last == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Whether the process still runs and the session is still wanted
		// are asked at the workspace's cadence, not at every quick probe:
		// each asks the runtime and the database.
		if time.Since(checked) >= interval {
			cctx, cancel := m.callCtx(ctx)
			ins, err := rt.InspectSession(cctx, runtime.InspectRequest{SessionID: s.ID.String(), Handle: pr.handle})
			cancel()
			if err == nil && (ins.Status.State == runtime.StateExited || ins.Status.State == runtime.StateMissing) {
				return fmt.Errorf("the session failed before it was ready (%s)", describeStatus(ins.Status))
			}
			if err == nil && ins.Status.State == runtime.StateRunning {
				// A runtime may learn the session's address only once it
				// runs (a pod gets its IP when scheduled).
				if pr.s, err = m.setAddresses(ctx, pr.s, ins.Status.Addresses); err != nil {
					return err
				}
			}
			cur, err := m.st.GetSession(ctx, system, s.ID)
			if err == nil && cur.State != state {
				return errSuperseded
			}
			checked = time.Now()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the session was not ready after %s: the %s probe on port %d still fails: %v", m.opts.ReadyTimeout, p.Kind, port, last)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(delay*3/2, interval)
	}
}

// prober runs one session's readiness probe.
type prober struct {
	m      *Manager
	rt     connect.Runtime
	s      store.Session
	handle runtime.Handle
	probe  workspace.Probe
	port   int
	// reuse is how long an endpoint the runtime answered is dialed again
	// before the runtime is asked anew.
	reuse time.Duration

	endpoint connect.Tunnel // the last endpoint tunnel; zero when none
	opened   time.Time      // when endpoint was answered
}

// tunnel returns a tunnel to dial for one probe. A socket tunnel's token
// opens one connection, so each probe asks the runtime for a fresh one; an
// endpoint is the container's address, which stays put while the instance
// runs, so quick probes redial it and cost the runtime no call (with the
// Docker runtime, each OpenTunnel inspects the container).
func (p *prober) tunnel(ctx context.Context) (connect.Tunnel, error) {
	if p.endpoint.Endpoint != "" && time.Since(p.opened) < p.reuse {
		return p.endpoint, nil
	}
	t, err := p.rt.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: p.s.ID.String(), Handle: p.handle, Port: p.port})
	if err != nil {
		return connect.Tunnel{}, fmt.Errorf("open tunnel: %w", err)
	}
	if t.Endpoint != "" && t.Socket == nil {
		p.endpoint, p.opened = t, time.Now()
	}
	return t, nil
}

// once dials the session's port and runs one probe.
func (p *prober) once(ctx context.Context) error {
	t, err := p.tunnel(ctx)
	if err != nil {
		return err
	}
	conn, err := p.m.dialTunnel(ctx, p.s, t)
	if err != nil {
		// Anything but a refusal (a timeout, an unreachable or refused
		// address) may mean the endpoint is stale: ask the runtime afresh.
		if !errors.Is(err, syscall.ECONNREFUSED) {
			p.endpoint = connect.Tunnel{}
		}
		return err
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	switch p.probe.Kind {
	case workspace.ProbeTCP:
		return nil
	case workspace.ProbeRFB:
		// A server may accept connections a while before it greets (Xvnc
		// listens before its screen is ready): waiting here for the greeting
		// notices it the moment it comes.
		greeting := make([]byte, 12) // "RFB 003.008\n"
		if _, err := io.ReadFull(conn, greeting); err != nil {
			return fmt.Errorf("read RFB greeting: %w", err)
		}
		if string(greeting[:4]) != "RFB " {
			return fmt.Errorf("port %d does not speak RFB (it said %q)", p.port, greeting)
		}
		return nil
	case workspace.ProbeHTTP:
		return probeHTTP(ctx, conn, p.probe.Path)
	}
	return fmt.Errorf("unknown readiness probe %q; this is a bug in the workspace plugin", p.probe.Kind)
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
