package sso

import (
	"fmt"

	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/sdk/connect"
)

// HostPlugins finds auth plugins in a plugin host, where each auth block
// runs as instance "auth.NAME".
func HostPlugins(h *pluginhost.Host) PluginLookup {
	return func(authName string) (connect.Auth, error) {
		inst := h.Get("auth." + authName)
		if inst == nil {
			return nil, fmt.Errorf("auth.%s: %w", authName, pluginhost.ErrNoInstance)
		}
		return inst.Auth()
	}
}

// HostCapable reports the capabilities auth plugins in a plugin host
// reported at their last start.
func HostCapable(h *pluginhost.Host) CapabilityLookup {
	return func(authName, capability string) bool {
		inst := h.Get("auth." + authName)
		return inst != nil && inst.Info().Has(capability)
	}
}
