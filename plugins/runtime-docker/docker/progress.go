package docker

import "github.com/atrium-hq/atrium/sdk/runtime"

// report sends one progress phase. The SDK never hands a plugin a nil
// Progress, but tests call the runtime directly, without the SDK.
func report(progress func(runtime.Progress), phase runtime.Phase, message string) {
	if progress != nil {
		progress(runtime.Progress{Phase: phase, Message: message})
	}
}
