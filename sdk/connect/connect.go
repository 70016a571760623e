// Package connect is the host side of the plugin protocol: the handshake,
// the plugin sets a host offers go-plugin, and typed clients for each kind.
// The Atrium core uses it; plugin authors never need it.
package connect

import (
	"context"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/internal/protocol"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/schema"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// ProtocolVersion is the go-plugin protocol major this SDK speaks. It
// changes only when the gRPC services change incompatibly; additive changes
// are capability flags.
const ProtocolVersion = protocol.Version

// BaseName is the name under which every plugin serves
// atrium.plugin.v1.PluginService. The kind's own service is dispensed under
// the kind's name ("runtime", "workspace", "auth").
const BaseName = protocol.BaseName

// Capabilities a plugin may report in Info.
const (
	CapTunnelEndpoint = protocol.CapTunnelEndpoint
	CapTunnelSocket   = protocol.CapTunnelSocket
	CapEvents         = protocol.CapEvents
	CapProgress       = protocol.CapProgress
	CapHealth         = protocol.CapHealth
	CapLogout         = protocol.CapLogout
	CapRefresh        = protocol.CapRefresh
	CapPages          = protocol.CapPages
	CapConfigValidate = protocol.CapConfigValidate
)

// ErrUnsupported is returned by client calls the plugin does not implement.
// Plugins may return it too; it crosses the wire as codes.Unimplemented.
var ErrUnsupported = protocol.ErrUnsupported

// Info is what a plugin says about itself.
type Info struct {
	plugin.Info
	Kind plugin.Kind
	// APIVersion is the major version of the kind's proto package the
	// plugin prefers (its newest).
	APIVersion int
	// APIVersions lists every major version of the kind's proto package
	// the plugin speaks; never empty (plugins that predate the list speak
	// APIVersion only).
	APIVersions []int
	// Capabilities lists the additive features the plugin implements.
	Capabilities []string
	// SDKVersion is the SDK release the plugin was built with.
	SDKVersion string
}

// Has reports whether the plugin reported capability c.
func (i Info) Has(c string) bool {
	for _, x := range i.Capabilities {
		if x == c {
			return true
		}
	}
	return false
}

// Base is the host's view of the service every plugin serves.
type Base interface {
	Info(ctx context.Context) (Info, error)
	// ConfigSchema returns the plugin's config schema. Attr.Default holds a
	// json.RawMessage on this side of the wire.
	ConfigSchema(ctx context.Context) (schema.Object, error)
	// Configure hands the plugin its configuration and tells it who the
	// host is (req.Host).
	Configure(ctx context.Context, req plugin.ConfigureRequest) error
	Health(ctx context.Context) error
	// ValidateConfig asks the plugin to check decoded values without
	// configuring it, and returns what it refuses; none when the values
	// are fine. It returns ErrUnsupported when the plugin has no checks
	// beyond its schema (it lacks CapConfigValidate).
	ValidateConfig(ctx context.Context, req plugin.ValidateConfigRequest) ([]plugin.ConfigProblem, error)
}

// Runtime is the host's view of a runtime plugin.
type Runtime interface {
	StartSession(ctx context.Context, req runtime.StartRequest) (runtime.StartResponse, error)
	RecoverSession(ctx context.Context, req runtime.RecoverRequest) (runtime.RecoverResponse, error)
	StopSession(ctx context.Context, req runtime.StopRequest) (runtime.StopResponse, error)
	HibernateSession(ctx context.Context, req runtime.HibernateRequest) (runtime.HibernateResponse, error)
	ResumeSession(ctx context.Context, req runtime.ResumeRequest) (runtime.ResumeResponse, error)
	DestroySession(ctx context.Context, req runtime.DestroyRequest) (runtime.DestroyResponse, error)
	InspectSession(ctx context.Context, req runtime.InspectRequest) (runtime.InspectResponse, error)
	ListSessions(ctx context.Context, req runtime.ListRequest) (runtime.ListResponse, error)
	// WatchEvents calls send for each event until ctx ends or the stream
	// fails. It returns ErrUnsupported when the plugin has no events.
	WatchEvents(ctx context.Context, send func(runtime.Event) error) error
	// OpenTunnel says how to reach one port of a session. The host decides
	// whether to dial an Endpoint; a Socket is dialed with DialSocket.
	OpenTunnel(ctx context.Context, req runtime.TunnelRequest) (Tunnel, error)
}

// Tunnel is either an endpoint the host dials itself or a unix socket the
// plugin serves. Exactly one of Endpoint and Socket is set.
type Tunnel struct {
	Endpoint string
	Socket   *Socket
}

// Socket is a unix socket path and the one-time token that opens it.
type Socket struct {
	Path  string
	Token []byte
}

// Workspace is the host's view of a workspace plugin.
type Workspace interface {
	Describe(ctx context.Context, req workspace.DescribeRequest) (workspace.DescribeResponse, error)
	LaunchSpec(ctx context.Context, req workspace.LaunchSpecRequest) (workspace.LaunchSpecResponse, error)
}

// Auth is the host's view of an auth plugin.
type Auth interface {
	BeginLogin(ctx context.Context, req auth.BeginLoginRequest) (auth.BeginLoginResponse, error)
	CompleteLogin(ctx context.Context, req auth.CompleteLoginRequest) (auth.CompleteLoginResponse, error)
	// Logout returns ErrUnsupported when the provider offers no logout.
	Logout(ctx context.Context, req auth.LogoutRequest) (auth.LogoutResponse, error)
	// Refresh returns ErrUnsupported when the plugin cannot refresh, and
	// auth.ErrRefreshRefused when the provider no longer vouches for the
	// person; other errors say nothing about the person.
	Refresh(ctx context.Context, req auth.RefreshRequest) (auth.RefreshResponse, error)
	// ServePage returns ErrUnsupported when the plugin serves no pages.
	ServePage(ctx context.Context, req auth.PageRequest) (auth.PageResponse, error)
}
