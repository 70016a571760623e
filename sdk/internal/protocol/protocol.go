// Package protocol holds the constants both ends of the plugin protocol must
// agree on. It sits below the kind packages and sdk/connect so that the
// plugin side and the host side share one definition without an import
// cycle; sdk/connect re-exports what the host needs.
package protocol

import (
	"errors"

	goplugin "github.com/hashicorp/go-plugin"
)

// Version is the go-plugin protocol major both ends speak.
const Version = 1

// BaseName is the name under which every plugin serves
// atrium.plugin.v1.PluginService.
const BaseName = "plugin"

// Capabilities a plugin reports in GetInfo.
const (
	CapTunnelEndpoint = "tunnel.endpoint"
	CapTunnelSocket   = "tunnel.socket"
	CapEvents         = "events"
	CapProgress       = "progress"
	CapHealth         = "health"
	CapLogout         = "logout"
	CapRefresh        = "refresh"
	CapPages          = "pages"
	// CapConfigValidate: the plugin checks decoded config values in
	// ValidateConfig, without being configured.
	CapConfigValidate = "config.validate"
)

// The magic cookie keeps a plugin binary from serving when a person runs it
// by hand. It is a convenience, not security: the host pins each binary's
// SHA-256 and uses AutoMTLS.
const (
	MagicCookieKey   = "ATRIUM_PLUGIN"
	MagicCookieValue = "d1c5e0b8a4f24f6e9b7a3c2d8e1f0a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f"
)

// Handshake is the go-plugin handshake both ends use.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  Version,
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}

// ErrUnsupported travels as codes.Unimplemented. Plugins return it for calls
// they do not implement; the host gets it back from such calls.
var ErrUnsupported = errors.New("plugin does not support this call")

// ErrRefreshRefused is auth.ErrRefreshRefused: an auth plugin's provider no
// longer vouches for a logged-in person. It travels as
// codes.PermissionDenied on the auth service's Refresh.
var ErrRefreshRefused = errors.New("refresh refused")
