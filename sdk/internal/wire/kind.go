package wire

import (
	"github.com/atrium-hq/atrium/sdk/plugin"
	pluginv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/plugin/v1"
)

// KindToProto encodes a plugin kind.
func KindToProto(k plugin.Kind) pluginv1.Kind {
	switch k {
	case plugin.KindRuntime:
		return pluginv1.Kind_KIND_RUNTIME
	case plugin.KindWorkspace:
		return pluginv1.Kind_KIND_WORKSPACE
	case plugin.KindAuth:
		return pluginv1.Kind_KIND_AUTH
	default:
		return pluginv1.Kind_KIND_UNSPECIFIED
	}
}

// KindFromProto decodes a plugin kind; an unknown kind decodes as "".
func KindFromProto(k pluginv1.Kind) plugin.Kind {
	switch k {
	case pluginv1.Kind_KIND_RUNTIME:
		return plugin.KindRuntime
	case pluginv1.Kind_KIND_WORKSPACE:
		return plugin.KindWorkspace
	case pluginv1.Kind_KIND_AUTH:
		return plugin.KindAuth
	default:
		return ""
	}
}
