package process

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// TunnelEndpoint hands the core the session's local address, unless the
// plugin is configured for socket tunnels.
func (r *Runtime) TunnelEndpoint(_ context.Context, req runtime.TunnelRequest) (runtime.TunnelEndpointResponse, error) {
	if r.cfg.Tunnel == tunnelSocket {
		return runtime.TunnelEndpointResponse{}, runtime.ErrNoEndpoint
	}
	addr, err := r.address(req)
	if err != nil {
		return runtime.TunnelEndpointResponse{}, err
	}
	return runtime.TunnelEndpointResponse{Address: addr}, nil
}

// Dial connects to the session's local port for a socket tunnel.
func (r *Runtime) Dial(ctx context.Context, req runtime.TunnelRequest) (net.Conn, error) {
	addr, err := r.address(req)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("session %s: dial port %d: %w", req.SessionID, req.Port, err)
	}
	return conn, nil
}

// address is the local address of the requested session port.
func (r *Runtime) address(req runtime.TunnelRequest) (string, error) {
	d, err := r.running(req.SessionID, req.Handle)
	if err != nil {
		return "", err
	}
	if d.SessionPort == 0 || req.Port != d.SessionPort {
		return "", fmt.Errorf("session %s serves port %d, not %d", req.SessionID, d.SessionPort, req.Port)
	}
	return localAddr(d), nil
}

// localAddr is where the session's process listens; status reports it as
// the session's address.
func localAddr(d handleData) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.Port))
}
