package wire

import (
	"github.com/atrium-hq/atrium/sdk/plugin"
	pluginv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/plugin/v1"
)

// HostToProto encodes what the host says about itself.
func HostToProto(h plugin.Host) *pluginv1.HostInfo {
	return &pluginv1.HostInfo{
		Version:      h.Version,
		ApiVersion:   uint32(h.APIVersion),
		ApiVersions:  VersionsToProto(h.APIVersions),
		Capabilities: h.Capabilities,
		SdkVersion:   h.SDKVersion,
	}
}

// HostFromProto decodes it; a nil message (an older host) is the zero Host.
func HostFromProto(h *pluginv1.HostInfo) plugin.Host {
	if h == nil {
		return plugin.Host{}
	}
	return plugin.Host{
		Version:      h.GetVersion(),
		APIVersion:   int(h.GetApiVersion()),
		APIVersions:  VersionsFromProto(h.GetApiVersions()),
		Capabilities: h.GetCapabilities(),
		SDKVersion:   h.GetSdkVersion(),
	}
}

// VersionsToProto encodes a list of API versions.
func VersionsToProto(vs []int) []uint32 {
	out := make([]uint32, 0, len(vs))
	for _, v := range vs {
		out = append(out, uint32(v))
	}
	return out
}

// VersionsFromProto decodes a list of API versions.
func VersionsFromProto(vs []uint32) []int {
	out := make([]int, 0, len(vs))
	for _, v := range vs {
		out = append(out, int(v))
	}
	return out
}

// ProblemsToProto encodes refused config values.
func ProblemsToProto(ps []plugin.ConfigProblem) []*pluginv1.ConfigProblem {
	out := make([]*pluginv1.ConfigProblem, 0, len(ps))
	for _, p := range ps {
		out = append(out, &pluginv1.ConfigProblem{Path: p.Path, Message: p.Message})
	}
	return out
}

// ProblemsFromProto decodes them.
func ProblemsFromProto(ps []*pluginv1.ConfigProblem) []plugin.ConfigProblem {
	out := make([]plugin.ConfigProblem, 0, len(ps))
	for _, p := range ps {
		out = append(out, plugin.ConfigProblem{Path: p.GetPath(), Message: p.GetMessage()})
	}
	return out
}
