// Package plugin holds what every Atrium plugin has, whatever its kind: its
// identity, its configuration and its health.
package plugin

import (
	"context"
	"encoding/json"

	"github.com/atrium-hq/atrium/sdk/schema"
)

// Kind is what a plugin does for the core.
type Kind string

// The plugin kinds the core knows.
const (
	KindRuntime   Kind = "runtime"
	KindWorkspace Kind = "workspace"
	KindAuth      Kind = "auth"
)

// Info identifies a plugin.
type Info struct {
	// Name is the plugin's own name, e.g. "runtime-docker".
	Name string
	// Version is the plugin's release, e.g. "1.4.0".
	Version string
	// Description is one line for humans.
	Description string
}

// ConfigureRequest carries the plugin's decoded configuration.
type ConfigureRequest struct {
	// Config is the `config { }` block decoded against ConfigSchema, as a
	// JSON object. Decode it with DecodeConfig.
	Config json.RawMessage
	// Instance names the configuration block that launched this process,
	// e.g. "docker" for `runtime "docker" { … }`.
	Instance string
	// TunnelDir is a directory owned by the core where the SDK creates the
	// unix sockets of socket-mode tunnels. Authors rarely need it.
	TunnelDir string
	// Host says which core configures the plugin, the API version it
	// chose and the features it uses.
	Host Host
}

// ConfigureResponse is empty; it exists so the call can grow.
type ConfigureResponse struct{}

// Plugin is what every plugin implements, in addition to its kind's
// interface.
type Plugin interface {
	// PluginInfo names the plugin.
	PluginInfo() Info
	// ConfigSchema describes the plugin's `config { }` block.
	ConfigSchema() schema.Object
	// Configure is called once, before any other call of the plugin's
	// kind, with the configuration decoded against ConfigSchema.
	Configure(ctx context.Context, req ConfigureRequest) (ConfigureResponse, error)
}

// HealthChecker is implemented by plugins that can tell whether they are
// able to serve calls, e.g. whether their backend answers. Plugins that do
// not implement it are healthy while their process answers.
type HealthChecker interface {
	Health(ctx context.Context) error
}

// DecodeConfig decodes the JSON configuration into v, refusing fields v does
// not declare, so a plugin and its schema cannot silently drift apart.
func DecodeConfig(raw json.RawMessage, v any) error {
	return decodeStrict(raw, v)
}
