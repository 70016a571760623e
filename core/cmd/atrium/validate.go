package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/core/internal/server"
)

// cmdConfigValidate checks a config file the way `atrium server` would,
// including each plugin's `config { }` block, which needs the plugin's own
// schema: every plugin is launched, asked for it, and stopped again.
func cmdConfigValidate(args []string) int {
	fs := flag.NewFlagSet("config validate", flag.ContinueOnError)
	level := fs.String("log-level", envOr("ATRIUM_LOG_LEVEL", "warn"), "log `level`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "Usage: atrium config validate FILE")
		return 2
	}
	file := fs.Arg(0)
	cfg, err := loadConfig(file)
	if err != nil {
		printError(err)
		return 1
	}
	host := pluginhost.New(pluginhost.Options{Logger: newLogger(*level).Named("plugin"), Version: version, CallTimeout: cfg.Server.PluginTimeout})
	specs := server.PluginSpecs(cfg)
	if err := host.Check(context.Background(), specs); err != nil {
		printError(err)
		return 1
	}
	fmt.Printf("%s is valid: %d plugin instance(s), %d template(s)\n", file, len(specs), len(cfg.Templates))
	return 0
}
