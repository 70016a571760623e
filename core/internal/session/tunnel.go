package session

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/atrium-hq/atrium/sdk/connect"
)

// dialTunnel connects to a tunnel a runtime returned: an endpoint only if
// its address is an IP inside allowed (the networks the runtime is
// configured to own), a socket through connect.DialSocket.
//
// It stands in for relay.DialTunnel, which follows the same rules; the two
// merge once the relay lands.
func dialTunnel(ctx context.Context, t connect.Tunnel, allowed []netip.Prefix) (net.Conn, error) {
	switch {
	case t.Socket != nil:
		return connect.DialSocket(ctx, t.Socket.Path, t.Socket.Token)
	case t.Endpoint != "":
		ap, err := netip.ParseAddrPort(t.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("the runtime returned endpoint %q, which is not an IP address and port; the core dials no host names", t.Endpoint)
		}
		addr := ap.Addr().Unmap()
		inside := false
		for _, p := range allowed {
			if p.Contains(addr) {
				inside = true
				break
			}
		}
		if !inside {
			return nil, fmt.Errorf("the runtime returned endpoint %s, outside the networks it is configured to own %v; add its network to the runtime's networks if it is really the runtime's", t.Endpoint, allowed)
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", netip.AddrPortFrom(addr, ap.Port()).String())
	}
	return nil, fmt.Errorf("the runtime returned an empty tunnel")
}
