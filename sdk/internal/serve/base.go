package serve

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/atrium-hq/atrium/sdk/internal/wire"
	"github.com/atrium-hq/atrium/sdk/plugin"
	pluginv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/plugin/v1"
)

// baseServer serves atrium.plugin.v1.PluginService for any kind.
type baseServer struct {
	pluginv1.UnimplementedPluginServiceServer
	p     Plugin
	state *State
}

func (b *baseServer) GetInfo(context.Context, *pluginv1.GetInfoRequest) (*pluginv1.GetInfoResponse, error) {
	info := b.p.Impl.PluginInfo()
	return &pluginv1.GetInfoResponse{
		Name:         info.Name,
		Version:      info.Version,
		Description:  info.Description,
		Kind:         wire.KindToProto(b.p.Kind),
		ApiVersion:   uint32(b.p.APIVersion),
		Capabilities: b.p.capabilities(),
		SdkVersion:   plugin.SDKVersion,
	}, nil
}

func (b *baseServer) GetConfigSchema(context.Context, *pluginv1.GetConfigSchemaRequest) (*pluginv1.GetConfigSchemaResponse, error) {
	s, err := wire.SchemaToProto(b.p.Impl.ConfigSchema())
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &pluginv1.GetConfigSchemaResponse{Schema: s}, nil
}

func (b *baseServer) Configure(ctx context.Context, req *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	r := plugin.ConfigureRequest{
		Config:    req.GetConfigJson(),
		Instance:  req.GetInstance(),
		TunnelDir: req.GetTunnelDir(),
	}
	err := b.state.configure(r, func() error {
		_, err := b.p.Impl.Configure(ctx, r)
		return wire.ToStatus(err)
	})
	if err != nil {
		return nil, err
	}
	return &pluginv1.ConfigureResponse{}, nil
}

func (b *baseServer) Health(ctx context.Context, _ *pluginv1.HealthRequest) (*pluginv1.HealthResponse, error) {
	if err := b.state.Ready(); err != nil {
		return &pluginv1.HealthResponse{Healthy: false, Message: "plugin is not configured yet"}, nil
	}
	hc, ok := b.p.Impl.(plugin.HealthChecker)
	if !ok {
		return &pluginv1.HealthResponse{Healthy: true}, nil
	}
	if err := hc.Health(ctx); err != nil {
		return &pluginv1.HealthResponse{Healthy: false, Message: err.Error()}, nil
	}
	return &pluginv1.HealthResponse{Healthy: true}, nil
}
