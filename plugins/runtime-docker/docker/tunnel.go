package docker

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/moby/moby/api/types/network"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// TunnelEndpoint returns the container's address on the plugin's network,
// which the core dials itself. With config tunnel = "socket" it returns
// runtime.ErrNoEndpoint and the SDK uses Dial instead.
func (r *Runtime) TunnelEndpoint(ctx context.Context, req runtime.TunnelRequest) (runtime.TunnelEndpointResponse, error) {
	e, err := r.engine()
	if err != nil {
		return runtime.TunnelEndpointResponse{}, err
	}
	if e.cfg.tunnel == TunnelModeSocket {
		return runtime.TunnelEndpointResponse{}, runtime.ErrNoEndpoint
	}
	addr, err := e.address(ctx, req)
	if err != nil {
		return runtime.TunnelEndpointResponse{}, err
	}
	return runtime.TunnelEndpointResponse{Address: addr}, nil
}

// Dial connects from the plugin process to the session's port. The
// connection outlives ctx, which bounds only the dial.
func (r *Runtime) Dial(ctx context.Context, req runtime.TunnelRequest) (net.Conn, error) {
	e, err := r.engine()
	if err != nil {
		return nil, err
	}
	addr, err := e.address(ctx, req)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial session %s port %d at %s: %w; the session's server may not listen yet", req.SessionID, req.Port, addr, err)
	}
	return conn, nil
}

// address is "ip:port" of a running session's container on the plugin's
// network. It is always inside the configured subnet, the only range the
// core agrees to dial.
func (e *engine) address(ctx context.Context, req runtime.TunnelRequest) (string, error) {
	if req.Port < 1 || req.Port > 65535 {
		return "", fmt.Errorf("tunnel to session %s: port %d is not a TCP port", req.SessionID, req.Port)
	}
	c, found, err := e.find(ctx, req.SessionID, req.Handle)
	if err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("tunnel to session %s: %w", req.SessionID, runtime.ErrSessionNotFound)
	}
	if c.State == nil || !c.State.Running {
		return "", fmt.Errorf("tunnel to session %s: its container is %s, not running; resume or start the session first", req.SessionID, statusOf(c).State)
	}
	var networks map[string]*network.EndpointSettings
	if c.NetworkSettings != nil {
		networks = c.NetworkSettings.Networks
	}
	ip, ok := containerIP(networks, e.cfg.network)
	if !ok {
		return "", fmt.Errorf("tunnel to session %s: container %s has no address on docker network %q; it was disconnected, so stop and start the session", req.SessionID, c.ID, e.cfg.network)
	}
	if !e.cfg.subnet.Contains(ip) {
		return "", fmt.Errorf("tunnel to session %s: container address %s lies outside the configured subnet %s: set config { subnet } to the network's subnet", req.SessionID, ip, e.cfg.subnet)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(req.Port)), nil
}
