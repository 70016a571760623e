package connect

import (
	"context"
	"errors"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/atrium-hq/atrium/sdk/plugin"
	authv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/auth/v1"
	pluginv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/plugin/v1"
	runtimev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/runtime/v1"
	workspacev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/workspace/v1"
)

// ClientPlugins returns the plugin sets to pass as
// goplugin.ClientConfig.VersionedPlugins. Dispensing BaseName yields a Base;
// dispensing "runtime", "workspace" or "auth" yields a Runtime, Workspace or
// Auth. Dispense the kind the plugin reported in Info: a plugin of another
// kind answers every call with ErrUnsupported.
func ClientPlugins() map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{
		ProtocolVersion: {
			BaseName: &client{dispense: func(c *grpc.ClientConn) any {
				return &baseClient{c: pluginv1.NewPluginServiceClient(c)}
			}},
			string(plugin.KindRuntime): &client{dispense: func(c *grpc.ClientConn) any {
				return &runtimeClient{c: runtimev1.NewRuntimeServiceClient(c), base: pluginv1.NewPluginServiceClient(c)}
			}},
			string(plugin.KindWorkspace): &client{dispense: func(c *grpc.ClientConn) any {
				return &workspaceClient{c: workspacev1.NewWorkspaceServiceClient(c)}
			}},
			string(plugin.KindAuth): &client{dispense: func(c *grpc.ClientConn) any {
				return &authClient{c: authv1.NewAuthServiceClient(c)}
			}},
		},
	}
}

// client adapts a typed client constructor to go-plugin's plugin interface.
// It is host-side only; plugins serve through their kind's Serve.
type client struct {
	goplugin.NetRPCUnsupportedPlugin
	dispense func(*grpc.ClientConn) any
}

func (c *client) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error {
	return errors.New("connect.ClientPlugins only dispenses clients; plugins serve with runtime.Serve, workspace.Serve or auth.Serve")
}

func (c *client) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return c.dispense(conn), nil
}
