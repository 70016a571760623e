// Command atrium-workspace-jupyter is Atrium's workspace plugin for Jupyter
// notebooks: each session runs the atrium/jupyter image (Jupyter Server with
// the classic notebook interface) and the core proxies the browser's HTTP
// and WebSocket traffic to it.
package main

import (
	"github.com/atrium-hq/atrium/sdk/workspace"

	"github.com/atrium-hq/atrium/plugins/workspace-jupyter/jupyter"
)

func main() {
	workspace.Serve(jupyter.New())
}
