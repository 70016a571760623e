package relay_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/sdk/connect"
)

func TestCheckEndpoint(t *testing.T) {
	allowed := []netip.Prefix{
		netip.MustParsePrefix("172.17.0.0/16"),
		netip.MustParsePrefix("fd00:a::/64"),
	}
	cases := []struct {
		endpoint string
		ok       bool
		why      string
	}{
		{"172.17.0.5:5900", true, ""},
		{"[::ffff:172.17.0.5]:5900", true, ""},
		{"[fd00:a::5]:5900", true, ""},
		{"172.18.0.5:5900", false, "outside the networks"},
		{"10.0.0.1:5900", false, "outside the networks"},
		{"127.0.0.1:5900", false, "outside the networks"},
		{"[fd00:b::5]:5900", false, "outside the networks"},
		{"[::1]:5900", false, "outside the networks"},
		{"localhost:5900", false, "not a literal IP:port"},
		{"session-1.internal:5900", false, "not a literal IP:port"},
		{"172.17.0.5", false, "not a literal IP:port"},
		{"fd00:a::5:5900", false, "not a literal IP:port"},
		{"172.17.0.5:0", false, "port 0"},
		{"[fd00:a::5]:0", false, "port 0"},
		{"0.0.0.0:5900", false, "not a unicast"},
		{"", false, "not a literal IP:port"},
	}
	for _, c := range cases {
		_, err := relay.CheckEndpoint(c.endpoint, allowed)
		if c.ok {
			if err != nil {
				t.Errorf("%q refused: %v", c.endpoint, err)
			}
			continue
		}
		if !errors.Is(err, relay.ErrEndpointNotAllowed) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%q: got %v, want ErrEndpointNotAllowed saying %q", c.endpoint, err, c.why)
		}
	}
	if _, err := relay.CheckEndpoint("172.17.0.5:5900", nil); !errors.Is(err, relay.ErrEndpointNotAllowed) {
		t.Errorf("with no networks configured: got %v, want a refusal", err)
	}
}

func TestDialTunnelEndpoint(t *testing.T) {
	up := startUpstream(t, echo)
	addr := up.ln.Addr().String()

	_, err := relay.DialTunnel(context.Background(), connect.Tunnel{Endpoint: addr}, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, []string{addr})
	if !errors.Is(err, relay.ErrEndpointNotAllowed) {
		t.Fatalf("dialing %s outside the allowed networks gave %v", addr, err)
	}
	port := addr[strings.LastIndex(addr, ":")+1:]
	_, err = relay.DialTunnel(context.Background(), connect.Tunnel{Endpoint: "localhost:" + port}, loopback, []string{addr})
	if !errors.Is(err, relay.ErrEndpointNotAllowed) {
		t.Fatalf("dialing a hostname gave %v", err)
	}
	_, err = relay.DialTunnel(context.Background(), connect.Tunnel{}, loopback, []string{addr})
	if err == nil {
		t.Fatalf("an empty tunnel was dialed")
	}
	// Inside the networks, but not the session's: another session's port
	// on the same address, or a runtime that reported nothing.
	for _, owned := range [][]string{{"127.0.0.1:1"}, {"127.0.0.2"}, nil} {
		c, err := relay.DialTunnel(context.Background(), connect.Tunnel{Endpoint: addr}, loopback, owned)
		if err == nil {
			_ = c.Close()
		}
		if !errors.Is(err, relay.ErrEndpointNotOwned) || !errors.Is(err, relay.ErrEndpointNotAllowed) {
			t.Fatalf("dialing %s for a session that owns %q gave %v; want ErrEndpointNotOwned", addr, owned, err)
		}
	}

	// Nothing was dialed so far: the first connection accepted is this one.
	c, err := relay.DialTunnel(context.Background(), connect.Tunnel{Endpoint: addr}, loopback, []string{"127.0.0.9", addr})
	if err != nil {
		t.Fatalf("dial an allowed endpoint: %v", err)
	}
	defer c.Close()
	got := up.next(t)
	if got.RemoteAddr().String() != c.LocalAddr().String() {
		t.Fatalf("a refused endpoint reached the upstream first")
	}
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatalf("write: %v", err)
	}
	b := make([]byte, 1)
	if _, err := c.Read(b); err != nil || b[0] != 'x' {
		t.Fatalf("echo: %q %v", b, err)
	}
	var _ net.Conn = c
}

func TestCheckOwned(t *testing.T) {
	cases := []struct {
		addr  string
		owned []string
		ok    bool
	}{
		{"172.30.0.5:5900", []string{"172.30.0.5"}, true},
		{"172.30.0.5:8080", []string{"172.30.0.5"}, true},
		{"172.30.0.5:5900", []string{"172.30.0.5:5900"}, true},
		{"172.30.0.5:5901", []string{"172.30.0.5:5900"}, false},
		{"172.30.0.6:5900", []string{"172.30.0.5"}, false},
		{"[fd00::5]:5900", []string{"fd00::5"}, true},
		{"[fd00::5]:5900", []string{"[fd00::5]:5900"}, true},
		{"172.30.0.5:5900", []string{"::ffff:172.30.0.5"}, true},
		{"172.30.0.5:5900", []string{"not-an-address", "172.30.0.0/16"}, false},
		{"172.30.0.5:5900", nil, false},
	}
	for _, c := range cases {
		err := relay.CheckOwned(netip.MustParseAddrPort(c.addr), c.owned)
		if c.ok != (err == nil) {
			t.Errorf("CheckOwned(%s, %q) = %v; want ok=%v", c.addr, c.owned, err, c.ok)
		}
		if err != nil && !errors.Is(err, relay.ErrEndpointNotOwned) {
			t.Errorf("CheckOwned(%s, %q) = %v; want it to wrap ErrEndpointNotOwned", c.addr, c.owned, err)
		}
	}
}
