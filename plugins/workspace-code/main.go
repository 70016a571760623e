// Command atrium-workspace-code is Atrium's workspace plugin for VS Code in
// the browser: each session runs the atrium/code image (code-server) and
// the core proxies the browser's HTTP and WebSocket traffic to it.
package main

import (
	"github.com/atrium-hq/atrium/sdk/workspace"

	"github.com/atrium-hq/atrium/plugins/workspace-code/code"
)

func main() {
	workspace.Serve(code.New())
}
