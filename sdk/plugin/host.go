package plugin

import (
	"slices"

	"github.com/atrium-hq/atrium/sdk/internal/protocol"
)

// Capabilities a plugin reports and a host uses. A plugin's capabilities
// follow from the optional interfaces it implements; the host lists those
// it uses in Host.Capabilities, so a plugin can tell an older core that
// would ignore a feature from one that uses it.
const (
	CapTunnelEndpoint = protocol.CapTunnelEndpoint
	CapTunnelSocket   = protocol.CapTunnelSocket
	CapEvents         = protocol.CapEvents
	CapHealth         = protocol.CapHealth
	CapLogout         = protocol.CapLogout
	CapRefresh        = protocol.CapRefresh
	CapConfigValidate = protocol.CapConfigValidate
)

// Host describes the Atrium core that configures the plugin. The plugin
// reports the API versions it speaks in GetInfo, the host picks one both
// sides speak and says which here, with its own release and the features
// it uses, so that a plugin can adapt to an older or newer core.
type Host struct {
	// Version is the core's release, e.g. "1.4.0"; "dev" for builds
	// without one. Empty when the host predates negotiation.
	Version string
	// APIVersion is the major version of the kind's proto package the host
	// chose, e.g. 1 for atrium.runtime.v1. Every call that follows speaks
	// it. Zero when the host predates negotiation: it then speaks the only
	// version it knows, which it checked against the plugin's.
	APIVersion int
	// APIVersions lists every major version of the kind's proto package
	// the host speaks.
	APIVersions []int
	// Capabilities lists the optional features the host uses when a plugin
	// offers them (CapEvents, CapTunnelSocket, …).
	Capabilities []string
	// SDKVersion is the SDK release the host was built with.
	SDKVersion string
}

// Has reports whether the host uses capability c.
func (h Host) Has(c string) bool {
	return slices.Contains(h.Capabilities, c)
}
