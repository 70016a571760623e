package serve

import (
	"context"
	"errors"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/atrium-hq/atrium/sdk/internal/logging"
	"github.com/atrium-hq/atrium/sdk/internal/protocol"
	"github.com/atrium-hq/atrium/sdk/plugin"
	pluginv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/plugin/v1"
)

// Plugin describes one plugin implementation to serve.
type Plugin struct {
	Impl       plugin.Plugin
	Kind       plugin.Kind
	APIVersion int
	// Capabilities are the kind's capabilities the implementation has;
	// "health" and "config.validate" are added when it is a
	// plugin.HealthChecker or a plugin.ConfigValidator.
	Capabilities []string
	// Register registers the kind's gRPC service.
	Register func(*grpc.Server, *State)
}

func (p Plugin) capabilities() []string {
	caps := append([]string(nil), p.Capabilities...)
	if _, ok := p.Impl.(plugin.HealthChecker); ok {
		caps = append(caps, protocol.CapHealth)
	}
	if _, ok := p.Impl.(plugin.ConfigValidator); ok {
		caps = append(caps, protocol.CapConfigValidate)
	}
	return caps
}

// Config returns the go-plugin configuration that serves p: the base
// service under protocol.BaseName and the kind's service under the kind's
// name, over gRPC, logging JSON to stderr under the plugin's name. When the
// caller sets Test.Context, the plugin's resources are released when that
// context ends; otherwise Run releases them.
func Config(p Plugin) (*goplugin.ServeConfig, *State) {
	log := logging.New(p.Impl.PluginInfo().Name)
	logging.Set(log)
	state := NewState(log)
	cfg := &goplugin.ServeConfig{
		HandshakeConfig: protocol.Handshake,
		Logger:          log,
		VersionedPlugins: map[int]goplugin.PluginSet{
			protocol.Version: {
				protocol.BaseName: &service{register: func(s *grpc.Server) {
					pluginv1.RegisterPluginServiceServer(s, &baseServer{p: p, state: state})
				}},
				string(p.Kind): &service{register: func(s *grpc.Server) { p.Register(s, state) }},
			},
		},
	}
	cfg.GRPCServer = func(opts []grpc.ServerOption) *grpc.Server {
		if cfg.Test != nil {
			state.closeWhenDone(cfg.Test.Context)
		}
		return goplugin.DefaultGRPCServer(opts)
	}
	return cfg, state
}

// service adapts a gRPC registration to go-plugin's plugin interface. It is
// server-side only; the host's clients live in sdk/connect.
type service struct {
	goplugin.NetRPCUnsupportedPlugin
	register func(*grpc.Server)
}

func (s *service) GRPCServer(_ *goplugin.GRPCBroker, srv *grpc.Server) error {
	s.register(srv)
	return nil
}

func (s *service) GRPCClient(context.Context, *goplugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("this plugin set only serves; hosts dispense clients from connect.ClientPlugins")
}
