package main

import (
	"context"
	"errors"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	pluginv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/plugin/v1"
)

// serveRaw serves atrium.plugin.v1 by hand, as a runtime that reports the
// given API versions of atrium.runtime: the SDK only ever reports its own.
func serveRaw(versions []uint32) {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: connect.Handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{connect.ProtocolVersion: {
			connect.BaseName:           &rawService{srv: &rawBase{versions: versions}},
			string(plugin.KindRuntime): &rawService{},
		}},
		GRPCServer: goplugin.DefaultGRPCServer,
	})
}

// rawBase answers PluginService with fixed values.
type rawBase struct {
	pluginv1.UnimplementedPluginServiceServer
	versions []uint32
}

func (b *rawBase) GetInfo(context.Context, *pluginv1.GetInfoRequest) (*pluginv1.GetInfoResponse, error) {
	return &pluginv1.GetInfoResponse{
		Name: "testplugin-raw", Version: "9.0.0", Kind: pluginv1.Kind_KIND_RUNTIME,
		ApiVersion: b.versions[len(b.versions)-1], ApiVersions: b.versions,
		Capabilities: []string{connect.CapTunnelEndpoint},
	}, nil
}

func (b *rawBase) GetConfigSchema(context.Context, *pluginv1.GetConfigSchemaRequest) (*pluginv1.GetConfigSchemaResponse, error) {
	return &pluginv1.GetConfigSchemaResponse{Schema: &pluginv1.Schema{}}, nil
}

func (b *rawBase) Configure(_ context.Context, req *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	h := req.GetHost()
	host := plugin.Host{Version: h.GetVersion(), APIVersion: int(h.GetApiVersion()), Capabilities: h.GetCapabilities(), SDKVersion: h.GetSdkVersion()}
	for _, v := range h.GetApiVersions() {
		host.APIVersions = append(host.APIVersions, int(v))
	}
	return &pluginv1.ConfigureResponse{}, recordHost(host)
}

func (b *rawBase) Health(context.Context, *pluginv1.HealthRequest) (*pluginv1.HealthResponse, error) {
	return &pluginv1.HealthResponse{Healthy: true}, nil
}

// rawService registers srv, or nothing for a kind whose calls the tests
// never make.
type rawService struct {
	goplugin.NetRPCUnsupportedPlugin
	srv pluginv1.PluginServiceServer
}

func (s *rawService) GRPCServer(_ *goplugin.GRPCBroker, g *grpc.Server) error {
	if s.srv != nil {
		pluginv1.RegisterPluginServiceServer(g, s.srv)
	}
	return nil
}

func (s *rawService) GRPCClient(context.Context, *goplugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("serves only")
}
