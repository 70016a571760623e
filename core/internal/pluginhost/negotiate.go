package pluginhost

import (
	"fmt"
	"slices"
	"strings"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// hostAPIVersions lists the majors of each kind's proto package this core
// speaks, oldest first. A core that learns atrium.runtime.v2 keeps v1 here
// for as long as it still serves v1 plugins.
func hostAPIVersions(k plugin.Kind) []int {
	switch k {
	case plugin.KindRuntime:
		return []int{runtime.APIVersion}
	case plugin.KindWorkspace:
		return []int{workspace.APIVersion}
	case plugin.KindAuth:
		return []int{auth.APIVersion}
	}
	return nil
}

// hostCapabilities lists the optional plugin features this core uses, per
// kind, so a plugin knows which of its features will be called.
func hostCapabilities(k plugin.Kind) []string {
	caps := []string{connect.CapHealth, connect.CapConfigValidate}
	switch k {
	case plugin.KindRuntime:
		caps = append(caps, connect.CapTunnelEndpoint, connect.CapTunnelSocket, connect.CapEvents)
	case plugin.KindAuth:
		caps = append(caps, connect.CapLogout, connect.CapRefresh)
	}
	return caps
}

// negotiate picks the newest API version both the plugin and this core
// speak. When there is none it says which versions each side speaks and
// which of them to upgrade.
func negotiate(k plugin.Kind, coreVersion string, pluginVersions, hostVersions []int) (int, error) {
	best := 0
	for _, v := range pluginVersions {
		if slices.Contains(hostVersions, v) && v > best {
			best = v
		}
	}
	if best > 0 {
		return best, nil
	}
	theirs, ours := versionList(k, pluginVersions), versionList(k, hostVersions)
	hint := fmt.Sprintf("install a plugin release that speaks %s, or an Atrium release that speaks %s", ours, theirs)
	switch {
	case len(pluginVersions) == 0:
		hint = fmt.Sprintf("the plugin reports no API version; install a plugin release built for %s", ours)
	case slices.Min(pluginVersions) > slices.Max(hostVersions):
		hint = fmt.Sprintf("the plugin is newer than this Atrium: upgrade Atrium to a release that speaks %s, or install an older plugin release that speaks %s", theirs, ours)
	case slices.Max(pluginVersions) < slices.Min(hostVersions):
		hint = fmt.Sprintf("the plugin is older than this Atrium: upgrade the plugin to a release that speaks %s", ours)
	}
	return 0, fmt.Errorf("the plugin speaks %s but this Atrium (%s) speaks %s; %s", theirs, coreVersion, ours, hint)
}

// versionList names API versions as proto packages: "atrium.runtime.v1 or
// atrium.runtime.v2".
func versionList(k plugin.Kind, vs []int) string {
	if len(vs) == 0 {
		return "no version"
	}
	names := make([]string, 0, len(vs))
	for _, v := range vs {
		names = append(names, fmt.Sprintf("atrium.%s.v%d", k, v))
	}
	return strings.Join(names, " or ")
}
