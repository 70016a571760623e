package harness

import (
	"fmt"
	"net/netip"
)

// DesktopConfig is what DesktopHCL needs to know.
type DesktopConfig struct {
	Bins Bins
	// Network and Subnet are the Docker network the runtime plugin owns and
	// its CIDR. Each user of the harness picks its own, so a test run
	// neither collides with a developer's sessions nor with another run.
	Network string
	Subnet  netip.Prefix
	// VolumePrefix names the home volumes, so they are told apart from
	// a developer's; default "atrium-home-".
	VolumePrefix string
	// Image is the desktop image; default atrium/desktop:1.
	Image string
	// DockerHost is the engine the runtime uses; default the plugin's
	// (DOCKER_HOST, else the local socket).
	DockerHost string
}

// DesktopImage is the image of the "desktop" workspace, built by
// images/desktop/build.sh.
const DesktopImage = "atrium/desktop:1"

// DesktopTemplate is the name of the template DesktopHCL declares.
const DesktopTemplate = "desktop"

// DesktopHCL returns the config blocks of a Docker runtime ("docker"), the
// VNC workspace ("desktop") and a desktop template ("desktop", one CPU and
// 1 GiB), with both plugins pinned by SHA-256. Add a server block (and
// a database block) to get a whole config.
func DesktopHCL(c DesktopConfig) string {
	image := c.Image
	if image == "" {
		image = DesktopImage
	}
	prefix := c.VolumePrefix
	if prefix == "" {
		prefix = "atrium-home-"
	}
	host := ""
	if c.DockerHost != "" {
		host = fmt.Sprintf("\n    host          = %q", c.DockerHost)
	}
	return fmt.Sprintf(`
plugin "docker" {
  path   = %q
  sha256 = %q
}

plugin "vnc" {
  path   = %q
  sha256 = %q
}

runtime "docker" {
  plugin   = "docker"
  networks = [%q]
  config {
    network       = %q
    subnet        = %q
    volume_prefix = %q%s
  }
}

workspace "desktop" {
  plugin = "vnc"
  config {
    image = %q
  }
}

template %q {
  workspace = "desktop"
  runtime   = "docker"
  cpu       = 1
  memory    = "1GiB"
}
`, c.Bins.RuntimeDocker.Path, c.Bins.RuntimeDocker.SHA256,
		c.Bins.WorkspaceVNC.Path, c.Bins.WorkspaceVNC.SHA256,
		c.Subnet.String(), c.Network, c.Subnet.String(), prefix, host,
		image, DesktopTemplate)
}
