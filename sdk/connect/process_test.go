package connect_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// pluginRoleEnv makes the test binary serve fakeRuntime as a real plugin
// process, the way a plugin's main does.
const pluginRoleEnv = "ATRIUM_CONNECT_TEST_PLUGIN"

func TestMain(m *testing.M) {
	if os.Getenv(pluginRoleEnv) == "1" {
		runtime.Serve(fakeEndpoint{&fakeRuntime{}})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestPluginProcess launches a plugin the way the core does: a separate
// process, the handshake cookie, AutoMTLS, the versioned plugin sets.
func TestPluginProcess(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find the test binary: %v", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), pluginRoleEnv+"=1")
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  connect.Handshake,
		VersionedPlugins: connect.ClientPlugins(),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "host", Output: os.Stderr, Level: hclog.Warn}),
	})
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("start plugin process: %v", err)
	}
	if v := client.NegotiatedVersion(); v != connect.ProtocolVersion {
		t.Fatalf("negotiated protocol %d, want %d", v, connect.ProtocolVersion)
	}
	raw, err := rpc.Dispense(connect.BaseName)
	if err != nil {
		t.Fatalf("dispense base: %v", err)
	}
	base := raw.(connect.Base)
	raw, err = rpc.Dispense(string(plugin.KindRuntime))
	if err != nil {
		t.Fatalf("dispense runtime: %v", err)
	}
	rt := raw.(connect.Runtime)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := base.Info(ctx)
	if err != nil || info.Name != "fake" || !info.Has(connect.CapTunnelEndpoint) {
		t.Fatalf("Info: %+v, %v", info, err)
	}
	if err := base.Configure(ctx, plugin.ConfigureRequest{}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	tun, err := rt.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: "s1", Port: 80})
	if err != nil || tun.Endpoint != "10.0.0.1:80" {
		t.Fatalf("OpenTunnel: %+v, %v", tun, err)
	}
	client.Kill()
	if !client.Exited() {
		t.Fatal("plugin process still runs after Kill")
	}
}
