// Command atrium-workspace-vnc is Atrium's workspace plugin for a Linux
// desktop served over VNC: each session runs the atrium/desktop image and
// the core relays the browser's noVNC connection to its Xvnc.
package main

import (
	"github.com/atrium-hq/atrium/sdk/workspace"

	"github.com/atrium-hq/atrium/plugins/workspace-vnc/vnc"
)

func main() {
	workspace.Serve(vnc.New())
}
