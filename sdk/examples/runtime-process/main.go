// Command atrium-runtime-process is an Atrium runtime plugin that runs each
// session as a local process. It shows how small a third-party plugin can
// be; it isolates nothing, so use it for trials and tests only.
package main

import (
	"github.com/atrium-hq/atrium/sdk/runtime"

	"example.com/atrium-runtime-process/process"
)

func main() {
	runtime.Serve(process.New())
}
