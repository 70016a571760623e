// Command atrium-runtime-docker is Atrium's runtime plugin for a Docker
// engine: each session runs as one container on a bridge network the plugin
// owns, with the user's home on a named volume.
package main

import (
	"github.com/atrium-hq/atrium/sdk/runtime"

	"github.com/atrium-hq/atrium/plugins/runtime-docker/docker"
)

func main() {
	runtime.Serve(docker.New())
}
