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
		ApiVersions:  []uint32{uint32(b.p.APIVersion)},
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
		Host:      wire.HostFromProto(req.GetHost()),
	}
	if err := b.checkHost(r.Host); err != nil {
		return nil, err
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

// checkHost refuses a host that chose an API version this plugin does not
// speak. A host that names none predates negotiation and checked the
// plugin's single version itself.
func (b *baseServer) checkHost(h plugin.Host) error {
	if h.APIVersion == 0 || h.APIVersion == b.p.APIVersion {
		return nil
	}
	return status.Errorf(codes.FailedPrecondition,
		"the core (Atrium %s) chose atrium.%s.v%d, but this plugin (SDK %s) speaks atrium.%s.v%d only; install a plugin release that speaks v%d, or an Atrium release that speaks v%d",
		h.Version, b.p.Kind, h.APIVersion, plugin.SDKVersion, b.p.Kind, b.p.APIVersion, h.APIVersion, b.p.APIVersion)
}

// ValidateConfig runs the plugin's own checks of decoded values, if it has
// any, without configuring it.
func (b *baseServer) ValidateConfig(ctx context.Context, req *pluginv1.ValidateConfigRequest) (*pluginv1.ValidateConfigResponse, error) {
	v, ok := b.p.Impl.(plugin.ConfigValidator)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "plugin does not validate its configuration beyond its schema")
	}
	err := v.ValidateConfig(ctx, plugin.ValidateConfigRequest{Config: req.GetConfigJson(), Instance: req.GetInstance()})
	if ctx.Err() != nil {
		return nil, wire.ToStatus(ctx.Err())
	}
	return &pluginv1.ValidateConfigResponse{Problems: wire.ProblemsToProto(plugin.ConfigProblems(err))}, nil
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
