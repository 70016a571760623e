package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// Plugins is what the lifecycle needs from the plugin host. Clients change
// when a plugin restarts, so they are fetched for each use and never kept.
// Names are configuration block names ("docker" for `runtime "docker"`).
type Plugins interface {
	Runtime(name string) (connect.Runtime, error)
	Workspace(name string) (connect.Workspace, error)
	// WorkspaceSchema is the workspace plugin's config schema, against
	// which a template's `config { }` body is decoded.
	WorkspaceSchema(ctx context.Context, name string) (schema.Object, error)
	// RuntimeRestarted registers fn to be called, without blocking, with
	// the name of each runtime whose plugin process was replaced.
	RuntimeRestarted(fn func(name string))
}

// HostPlugins adapts a pluginhost.Host, whose instances are named
// "<kind>.<name>", to Plugins.
func HostPlugins(h *pluginhost.Host) Plugins { return hostPlugins{h} }

type hostPlugins struct{ h *pluginhost.Host }

func (p hostPlugins) instance(kind plugin.Kind, name string) (*pluginhost.Instance, error) {
	inst := p.h.Get(string(kind) + "." + name)
	if inst == nil {
		return nil, fmt.Errorf("%s %q: %w; check the configuration", kind, name, pluginhost.ErrNoInstance)
	}
	return inst, nil
}

func (p hostPlugins) Runtime(name string) (connect.Runtime, error) {
	inst, err := p.instance(plugin.KindRuntime, name)
	if err != nil {
		return nil, err
	}
	return inst.Runtime()
}

func (p hostPlugins) Workspace(name string) (connect.Workspace, error) {
	inst, err := p.instance(plugin.KindWorkspace, name)
	if err != nil {
		return nil, err
	}
	return inst.Workspace()
}

func (p hostPlugins) WorkspaceSchema(ctx context.Context, name string) (schema.Object, error) {
	inst, err := p.instance(plugin.KindWorkspace, name)
	if err != nil {
		return schema.Object{}, err
	}
	base, err := inst.Base()
	if err != nil {
		return schema.Object{}, err
	}
	return base.ConfigSchema(ctx)
}

func (p hostPlugins) RuntimeRestarted(fn func(string)) {
	prefix := string(plugin.KindRuntime) + "."
	p.h.Subscribe(func(e pluginhost.Event) {
		if e.Type == pluginhost.EventRestarted && e.Kind == plugin.KindRuntime {
			fn(strings.TrimPrefix(e.Name, prefix))
		}
	})
}
