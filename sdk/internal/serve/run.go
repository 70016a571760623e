package serve

import (
	"os"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
)

// parentPollInterval is how often Run checks whether the host still lives.
const parentPollInterval = 500 * time.Millisecond

// Run serves p until the host ends the plugin, and exits the process when
// the host dies without ending it, so no plugin outlives its core.
func Run(p Plugin) {
	parent := os.Getppid()
	cfg, state := Config(p)
	go WatchParent(parent, parentPollInterval, func() {
		state.Log.Error("host process is gone; exiting")
		state.Close()
		os.Exit(1)
	})
	goplugin.Serve(cfg)
	state.Close()
}
