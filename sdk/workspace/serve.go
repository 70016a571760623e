package workspace

import (
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/atrium-hq/atrium/sdk/internal/serve"
	"github.com/atrium-hq/atrium/sdk/plugin"
	workspacev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/workspace/v1"
)

// Serve serves impl to the Atrium core that launched this process. Call it
// from main; it returns when the core ends the plugin, and exits the process
// if the core dies first.
func Serve(impl Workspace) {
	serve.Run(servePlugin(impl))
}

// ServeConfig returns the go-plugin configuration Serve uses, for tests that
// serve impl in process with go-plugin's test mode; sdk/plugintest does
// that for you. Each call serves a fresh plugin that is not configured yet.
func ServeConfig(impl Workspace) *goplugin.ServeConfig {
	cfg, _ := serve.Config(servePlugin(impl))
	return cfg
}

func servePlugin(impl Workspace) serve.Plugin {
	return serve.Plugin{
		Impl:       impl,
		Kind:       plugin.KindWorkspace,
		APIVersion: APIVersion,
		Register: func(s *grpc.Server, state *serve.State) {
			workspacev1.RegisterWorkspaceServiceServer(s, &server{impl: impl, state: state})
		},
	}
}
