// Command atrium-runtime-k8s is Atrium's runtime plugin for Kubernetes:
// each session runs as one pod, with the user's home on a
// PersistentVolumeClaim that outlives it.
package main

import (
	"github.com/atrium-hq/atrium/sdk/runtime"

	"github.com/atrium-hq/atrium/plugins/runtime-k8s/kube"
)

func main() {
	runtime.Serve(kube.New())
}
