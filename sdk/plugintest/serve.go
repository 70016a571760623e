package plugintest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// serveTimeout bounds how long starting or stopping an in-process plugin
// may take.
const serveTimeout = 10 * time.Second

// ServeRuntime serves impl in process and returns the host's clients for it.
// The plugin is not configured yet. It is shut down when t ends.
func ServeRuntime(t testing.TB, impl runtime.Runtime) (connect.Base, connect.Runtime) {
	t.Helper()
	base, kind := serveInProcess(t, runtime.ServeConfig(impl), plugin.KindRuntime)
	return base, kind.(connect.Runtime)
}

// ServeWorkspace serves impl in process and returns the host's clients for
// it. The plugin is not configured yet. It is shut down when t ends.
func ServeWorkspace(t testing.TB, impl workspace.Workspace) (connect.Base, connect.Workspace) {
	t.Helper()
	base, kind := serveInProcess(t, workspace.ServeConfig(impl), plugin.KindWorkspace)
	return base, kind.(connect.Workspace)
}

// ServeAuth serves impl in process and returns the host's clients for it.
// The plugin is not configured yet. It is shut down when t ends.
func ServeAuth(t testing.TB, impl auth.Auth) (connect.Base, connect.Auth) {
	t.Helper()
	base, kind := serveInProcess(t, auth.ServeConfig(impl), plugin.KindAuth)
	return base, kind.(connect.Auth)
}

// serveInProcess runs go-plugin's server in test mode, which listens on a
// real unix socket, and reattaches a real go-plugin client to it.
func serveInProcess(t testing.TB, cfg *goplugin.ServeConfig, kind plugin.Kind) (connect.Base, any) {
	t.Helper()
	log := hclog.New(&hclog.LoggerOptions{Name: "plugintest", Output: os.Stderr, Level: hclog.Warn})
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *goplugin.ReattachConfig, 1)
	closed := make(chan struct{})
	cfg.Logger = log.Named("server")
	cfg.Test = &goplugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed}
	go goplugin.Serve(cfg)

	var rc *goplugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-closed:
		cancel()
		t.Fatalf("plugin server stopped before it listened; see the log above")
	case <-time.After(serveTimeout):
		cancel()
		t.Fatalf("plugin server did not listen within %s", serveTimeout)
	}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  connect.Handshake,
		Plugins:          connect.ClientPlugins()[connect.ProtocolVersion],
		Reattach:         rc,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           log.Named("client"),
	})
	rpc, err := client.Client()
	if err != nil {
		cancel()
		t.Fatalf("connect to in-process plugin: %v", err)
	}
	t.Cleanup(func() {
		// Closing the client asks the server to stop. Cancelling ctx only
		// afterwards matters: go-plugin's two ways of stopping race with
		// each other. ctx still releases the plugin's tunnel socket.
		defer cancel()
		_ = rpc.Close()
		select {
		case <-closed:
		case <-time.After(serveTimeout):
			t.Errorf("plugin server did not stop within %s", serveTimeout)
		}
	})
	base, err := rpc.Dispense(connect.BaseName)
	if err != nil {
		t.Fatalf("dispense %s: %v", connect.BaseName, err)
	}
	k, err := rpc.Dispense(string(kind))
	if err != nil {
		t.Fatalf("dispense %s: %v", kind, err)
	}
	return base.(connect.Base), k
}
