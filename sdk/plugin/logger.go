package plugin

import (
	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/sdk/internal/logging"
)

// Logger returns the plugin's logger. Its lines reach the core's log under
// the plugin's name, so plugins log through it rather than to stdout. It is
// named after PluginInfo().Name once Serve runs. Never log secrets or tokens.
func Logger() hclog.Logger {
	return logging.Get()
}
