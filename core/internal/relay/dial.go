package relay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/atrium-hq/atrium/sdk/connect"
)

// ErrEndpointNotAllowed is returned by DialTunnel for an endpoint the core
// must not dial: not a literal IP:port, port 0, or outside the runtime's
// configured networks. A plugin's answer is untrusted input.
var ErrEndpointNotAllowed = errors.New("tunnel endpoint refused")

// ErrEndpointNotOwned is returned by DialTunnel for an endpoint that lies
// inside the runtime's networks but is not one of the addresses the runtime
// reported for the session: a plugin pointing the core at another session.
// It wraps ErrEndpointNotAllowed.
var ErrEndpointNotOwned = fmt.Errorf("%w: not the session's address", ErrEndpointNotAllowed)

// DialTunnel connects to a tunnel a runtime plugin returned from
// OpenTunnel. An Endpoint is dialed only if it is a literal IP:port (never a
// hostname, which would let DNS decide where the core connects) inside one
// of allowed, the networks configured for that runtime, and matching one of
// owned, the addresses the runtime reported for the session (see
// CheckOwned). A Socket is dialed with connect.DialSocket, which presents
// its one-time token. ctx bounds the dial only.
func DialTunnel(ctx context.Context, t connect.Tunnel, allowed []netip.Prefix, owned []string) (net.Conn, error) {
	switch {
	case t.Endpoint != "" && t.Socket != nil:
		return nil, fmt.Errorf("dial tunnel: the plugin returned both an endpoint and a socket; it must return exactly one, so fix the plugin")
	case t.Socket != nil:
		conn, err := connect.DialSocket(ctx, t.Socket.Path, t.Socket.Token)
		if err != nil {
			return nil, fmt.Errorf("dial tunnel socket: %w", err)
		}
		return conn, nil
	case t.Endpoint != "":
		addr, err := CheckEndpoint(t.Endpoint, allowed)
		if err != nil {
			return nil, err
		}
		if err := CheckOwned(addr, owned); err != nil {
			return nil, err
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr.String())
		if err != nil {
			return nil, fmt.Errorf("dial tunnel endpoint %s: %w; is the session still running?", addr, err)
		}
		return conn, nil
	default:
		return nil, fmt.Errorf("dial tunnel: the plugin returned neither an endpoint nor a socket; fix or upgrade the plugin")
	}
}

// CheckEndpoint parses endpoint as a literal IP:port and returns it if it
// lies inside one of allowed. Errors wrap ErrEndpointNotAllowed and say
// which rule refused it.
func CheckEndpoint(endpoint string, allowed []netip.Prefix) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(endpoint)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: %q is not a literal IP:port (hostnames are never dialed): %v", ErrEndpointNotAllowed, endpoint, err)
	}
	if ap.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("%w: %q has port 0", ErrEndpointNotAllowed, endpoint)
	}
	// An IPv4-mapped IPv6 address must match IPv4 prefixes as IPv4; a zone
	// names an interface and is not part of the address.
	ip := ap.Addr().Unmap().WithZone("")
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() {
		return netip.AddrPort{}, fmt.Errorf("%w: %q is not a unicast address", ErrEndpointNotAllowed, endpoint)
	}
	if len(allowed) == 0 {
		return netip.AddrPort{}, fmt.Errorf("%w: %q: no networks are configured for this runtime; list the networks its sessions use", ErrEndpointNotAllowed, endpoint)
	}
	for _, p := range allowed {
		if p.IsValid() && p.Contains(ip) {
			return netip.AddrPortFrom(ip, ap.Port()), nil
		}
	}
	return netip.AddrPort{}, fmt.Errorf("%w: %s is outside the networks configured for this runtime (%s); add its network to the runtime's configuration if it is really the runtime's", ErrEndpointNotAllowed, ip, prefixList(allowed))
}

// CheckOwned reports whether addr is one of owned, the addresses a runtime
// reported as a session's own: an entry that is a literal IP owns every
// port on it, an IP:port entry that port only. Entries that parse as
// neither own nothing. An empty owned refuses every endpoint: a runtime
// that offers endpoint tunnels must report its sessions' addresses.
func CheckOwned(addr netip.AddrPort, owned []string) error {
	ip := addr.Addr().Unmap().WithZone("")
	for _, o := range owned {
		if ap, err := netip.ParseAddrPort(o); err == nil {
			if ap.Addr().Unmap().WithZone("") == ip && ap.Port() == addr.Port() {
				return nil
			}
		} else if a, err := netip.ParseAddr(o); err == nil && a.Unmap().WithZone("") == ip {
			return nil
		}
	}
	if len(owned) == 0 {
		return fmt.Errorf("%w: %s: the runtime reported no address for this session; upgrade the runtime plugin to one that reports Status.Addresses", ErrEndpointNotOwned, addr)
	}
	return fmt.Errorf("%w: %s is not among the addresses the runtime reported for this session", ErrEndpointNotOwned, addr)
}

func prefixList(ps []netip.Prefix) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += p.String()
	}
	return s
}
