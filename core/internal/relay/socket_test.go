package relay_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"testing"

	"github.com/fasthttp/websocket"

	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// dialOnlyRuntime is a FAKE runtime plugin that only implements Dialer: it
// reaches every session at one TCP address. The lifecycle methods are left
// to the embedded nil interface because the relay never calls them.
type dialOnlyRuntime struct {
	runtime.Runtime
	addr string
}

func (d *dialOnlyRuntime) PluginInfo() plugin.Info {
	return plugin.Info{Name: "dial-only", Version: "0.0.1"}
}
func (d *dialOnlyRuntime) ConfigSchema() schema.Object { return schema.Object{} }
func (d *dialOnlyRuntime) Configure(context.Context, plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	return plugin.ConfigureResponse{}, nil
}
func (d *dialOnlyRuntime) Dial(ctx context.Context, _ runtime.TunnelRequest) (net.Conn, error) {
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", d.addr)
}

// TestSocketTunnel relays through the SDK's socket-mode tunnel served by a
// real go-plugin server: browser → relay → unix socket → plugin → TCP.
func TestSocketTunnel(t *testing.T) {
	e := newEnv(t, echo, relay.Options{})
	base, rt := plugintest.ServeRuntime(t, &dialOnlyRuntime{addr: e.up.ln.Addr().String()})
	ctx := context.Background()
	if err := base.Configure(ctx, plugin.ConfigureRequest{Config: []byte(`{}`), TunnelDir: plugintest.TunnelDir(t)}); err != nil {
		t.Fatalf("configure the plugin: %v", err)
	}
	tun, err := rt.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: "s1", Port: 5900})
	if err != nil {
		t.Fatalf("open a tunnel: %v", err)
	}
	if tun.Socket == nil {
		t.Fatalf("the plugin returned %+v, want a socket tunnel", tun)
	}
	// Nothing on the allow-list: a socket tunnel does not need it.
	conn, err := relay.DialTunnel(ctx, tun, nil, nil)
	if err != nil {
		t.Fatalf("dial the socket tunnel: %v", err)
	}
	if _, ok := conn.(*net.UnixConn); !ok {
		t.Fatalf("socket tunnel is a %T, want *net.UnixConn", conn)
	}
	_ = conn.Close()
	if _, err := relay.DialTunnel(ctx, tun, nil, nil); err == nil {
		t.Fatalf("a socket token opened a second connection")
	}

	// Now the whole path, through the handler.
	e.mu.Lock()
	e.lookup = func(ctx context.Context, sessionID string) (relay.Upstream, error) {
		return relay.Upstream{InstanceID: "inst-1", Dial: func(ctx context.Context) (net.Conn, error) {
			tun, err := rt.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: sessionID, Port: 5900})
			if err != nil {
				return nil, err
			}
			return relay.DialTunnel(ctx, tun, nil, nil)
		}}, nil
	}
	e.mu.Unlock()
	ws := e.open(t, "u1", "s1")
	msg := make([]byte, 200<<10)
	_, _ = rand.Read(msg)
	if err := ws.WriteMessage(websocket.BinaryMessage, msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	if got := readBytes(t, ws, len(msg)); !bytes.Equal(got, msg) {
		t.Fatalf("bytes changed through the socket tunnel")
	}
	var _ connect.Tunnel = tun
}
