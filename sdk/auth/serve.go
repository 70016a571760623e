package auth

import (
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/atrium-hq/atrium/sdk/internal/protocol"
	"github.com/atrium-hq/atrium/sdk/internal/serve"
	"github.com/atrium-hq/atrium/sdk/plugin"
	authv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/auth/v1"
)

// Serve serves impl to the Atrium core that launched this process. Call it
// from main; it returns when the core ends the plugin, and exits the process
// if the core dies first.
func Serve(impl Auth) {
	serve.Run(servePlugin(impl))
}

// ServeConfig returns the go-plugin configuration Serve uses, for tests that
// serve impl in process with go-plugin's test mode; sdk/plugintest does
// that for you. Each call serves a fresh plugin that is not configured yet.
func ServeConfig(impl Auth) *goplugin.ServeConfig {
	cfg, _ := serve.Config(servePlugin(impl))
	return cfg
}

func servePlugin(impl Auth) serve.Plugin {
	var caps []string
	if _, ok := impl.(LogoutURLer); ok {
		caps = append(caps, protocol.CapLogout)
	}
	if _, ok := impl.(Refresher); ok {
		caps = append(caps, protocol.CapRefresh)
	}
	if _, ok := impl.(PageServer); ok {
		caps = append(caps, protocol.CapPages)
	}
	return serve.Plugin{
		Impl:         impl,
		Kind:         plugin.KindAuth,
		APIVersion:   APIVersion,
		Capabilities: caps,
		Register: func(s *grpc.Server, state *serve.State) {
			authv1.RegisterAuthServiceServer(s, &server{impl: impl, state: state})
		},
	}
}
