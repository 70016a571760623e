package runtime

import (
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/atrium-hq/atrium/sdk/internal/protocol"
	"github.com/atrium-hq/atrium/sdk/internal/serve"
	"github.com/atrium-hq/atrium/sdk/plugin"
	runtimev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/runtime/v1"
)

// Serve serves impl to the Atrium core that launched this process. Call it
// from main; it returns when the core ends the plugin, and exits the process
// if the core dies first.
func Serve(impl Runtime) {
	serve.Run(servePlugin(impl))
}

// ServeConfig returns the go-plugin configuration Serve uses, for tests that
// serve impl in process with go-plugin's test mode; sdk/plugintest does
// that for you. Each call serves a fresh plugin that is not configured yet.
func ServeConfig(impl Runtime) *goplugin.ServeConfig {
	cfg, _ := serve.Config(servePlugin(impl))
	return cfg
}

func servePlugin(impl Runtime) serve.Plugin {
	return serve.Plugin{
		Impl:         impl,
		Kind:         plugin.KindRuntime,
		APIVersion:   APIVersion,
		Capabilities: capabilities(impl),
		Register: func(s *grpc.Server, state *serve.State) {
			runtimev1.RegisterRuntimeServiceServer(s, &server{impl: impl, state: state})
		},
	}
}

// capabilities lists the optional interfaces impl implements.
func capabilities(impl Runtime) []string {
	// Every runtime serves the progress streams: one that never reports
	// progress just answers with the result.
	caps := []string{protocol.CapProgress}
	if _, ok := impl.(EndpointTunneler); ok {
		caps = append(caps, protocol.CapTunnelEndpoint)
	}
	if _, ok := impl.(Dialer); ok {
		caps = append(caps, protocol.CapTunnelSocket)
	}
	if _, ok := impl.(EventWatcher); ok {
		caps = append(caps, protocol.CapEvents)
	}
	return caps
}
