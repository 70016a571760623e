package connect

import (
	"context"
	"errors"
	"fmt"

	"github.com/atrium-hq/atrium/sdk/internal/wire"
	"github.com/atrium-hq/atrium/sdk/plugin"
	pluginv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/plugin/v1"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// ErrUnhealthy is returned by Base.Health when the plugin reports that it
// cannot serve calls; the error's text carries the plugin's reason.
var ErrUnhealthy = errors.New("plugin is unhealthy")

// baseClient is the host's Base over gRPC.
type baseClient struct {
	c pluginv1.PluginServiceClient
}

func (b *baseClient) Info(ctx context.Context) (Info, error) {
	resp, err := b.c.GetInfo(ctx, &pluginv1.GetInfoRequest{})
	if err != nil {
		return Info{}, fromStatus(err)
	}
	versions := wire.VersionsFromProto(resp.GetApiVersions())
	if len(versions) == 0 {
		versions = []int{int(resp.GetApiVersion())}
	}
	return Info{
		APIVersions: versions,
		Info: plugin.Info{
			Name:        resp.GetName(),
			Version:     resp.GetVersion(),
			Description: resp.GetDescription(),
		},
		Kind:         wire.KindFromProto(resp.GetKind()),
		APIVersion:   int(resp.GetApiVersion()),
		Capabilities: resp.GetCapabilities(),
		SDKVersion:   resp.GetSdkVersion(),
	}, nil
}

func (b *baseClient) ConfigSchema(ctx context.Context) (schema.Object, error) {
	resp, err := b.c.GetConfigSchema(ctx, &pluginv1.GetConfigSchemaRequest{})
	if err != nil {
		return schema.Object{}, fromStatus(err)
	}
	return wire.SchemaFromProto(resp.GetSchema()), nil
}

func (b *baseClient) Configure(ctx context.Context, req plugin.ConfigureRequest) error {
	_, err := b.c.Configure(ctx, &pluginv1.ConfigureRequest{
		ConfigJson: req.Config,
		Instance:   req.Instance,
		TunnelDir:  req.TunnelDir,
		Host:       wire.HostToProto(req.Host),
	})
	return fromStatus(err)
}

func (b *baseClient) ValidateConfig(ctx context.Context, req plugin.ValidateConfigRequest) ([]plugin.ConfigProblem, error) {
	resp, err := b.c.ValidateConfig(ctx, &pluginv1.ValidateConfigRequest{ConfigJson: req.Config, Instance: req.Instance})
	if err != nil {
		return nil, fromStatus(err)
	}
	return wire.ProblemsFromProto(resp.GetProblems()), nil
}

func (b *baseClient) Health(ctx context.Context) error {
	resp, err := b.c.Health(ctx, &pluginv1.HealthRequest{})
	if err != nil {
		return fromStatus(err)
	}
	if !resp.GetHealthy() {
		return fmt.Errorf("%w: %s", ErrUnhealthy, resp.GetMessage())
	}
	return nil
}
