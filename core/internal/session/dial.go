package session

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// Connection is a fresh connection to a running session's primary port
// and what the caller needs to speak to it.
type Connection struct {
	Conn     net.Conn
	Protocol workspace.Protocol
	// Secrets are the session's per-session secrets, e.g. the VNC password
	// the core answers the server's authentication with.
	Secrets map[string]string
}

// DialPrimary opens a tunnel to the session's primary port through the
// runtime that owns it, dialing endpoints only inside the runtime's
// networks and only at the addresses recorded for s (see relay.CheckOwned).
// s must come from a scoped read or a checked ticket: it does no access
// check of its own.
func (m *Manager) DialPrimary(ctx context.Context, s store.Session) (Connection, error) {
	p, err := m.Primary(ctx, s)
	if err != nil {
		return Connection{}, err
	}
	conn, err := p.Dial(ctx)
	if err != nil {
		return Connection{}, err
	}
	return Connection{Conn: conn, Protocol: p.Protocol, Secrets: p.Secrets}, nil
}

// PrimaryPort is a running session's primary port, looked up and ready to
// dial: what DialPrimary does before it connects.
type PrimaryPort struct {
	Protocol workspace.Protocol
	// Secrets are the session's per-session secrets.
	Secrets map[string]string
	// Dial connects to the tunnel the runtime answered.
	Dial func(ctx context.Context) (net.Conn, error)
}

// Primary asks the workspace and the runtime how to reach s's primary
// port, without connecting yet, so a caller can bound the connections it
// opens (the relay's VNC handshakes) apart from the runtime calls. The
// same rules as DialPrimary apply.
func (m *Manager) Primary(ctx context.Context, s store.Session) (PrimaryPort, error) {
	tpl := m.Template(s.Template)
	if tpl == nil {
		return PrimaryPort{}, fmt.Errorf("template %q is no longer configured", s.Template)
	}
	ws, err := m.plugins.Workspace(tpl.Workspace)
	if err != nil {
		return PrimaryPort{}, err
	}
	desc, err := ws.Describe(ctx, workspace.DescribeRequest{})
	if err != nil {
		return PrimaryPort{}, fmt.Errorf("the workspace %q could not describe itself: %w", tpl.Workspace, err)
	}
	port := 0
	for _, p := range desc.Ports {
		if p.Name == desc.PrimaryPort || (port == 0 && desc.PrimaryPort == "") {
			port = p.Port
		}
	}
	if port == 0 {
		return PrimaryPort{}, fmt.Errorf("the workspace %q describes no primary port", tpl.Workspace)
	}
	rt, err := m.plugins.Runtime(s.Runtime)
	if err != nil {
		return PrimaryPort{}, err
	}
	t, err := rt.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: s.ID.String(), Handle: handleOf(s), Port: port})
	if err != nil {
		return PrimaryPort{}, fmt.Errorf("open tunnel: %w", err)
	}
	secrets, err := m.sealer.Open(s.OrgID, s.UserID, s.SecretsSealed)
	if err != nil {
		return PrimaryPort{}, err
	}
	dial := func(ctx context.Context) (net.Conn, error) { return m.dialTunnel(ctx, s, t) }
	return PrimaryPort{Protocol: desc.Protocol, Secrets: secrets, Dial: dial}, nil
}

// dialTunnel dials a tunnel the runtime answered for s, bound to s's
// recorded addresses. A refused endpoint is logged here, with what the
// runtime said and what was recorded; callers answer clients with a
// constant error.
func (m *Manager) dialTunnel(ctx context.Context, s store.Session, t connect.Tunnel) (net.Conn, error) {
	conn, err := relay.DialTunnel(ctx, t, m.networks(s.Runtime), s.Addresses)
	if errors.Is(err, relay.ErrEndpointNotOwned) {
		m.log.Warn("refused a tunnel endpoint that is not the session's: the runtime plugin answered an address it did not report for this session",
			"session", s.ID, "runtime", s.Runtime, "endpoint", t.Endpoint, "recorded", s.Addresses, "error", err)
	}
	return conn, err
}
