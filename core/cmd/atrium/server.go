package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/server"
)

func newLogger(level string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:   "atrium",
		Level:  hclog.LevelFromString(level),
		Output: os.Stderr,
	})
}

// loadConfig reads path, or the embedded default when path is empty. The
// default resolves relative paths against the atrium binary's directory,
// where `make build` puts the plugins.
func loadConfig(path string) (*config.Config, error) {
	if path != "" {
		return config.Load(path)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the atrium binary's directory: %w", err)
	}
	return config.Default(filepath.Dir(exe))
}

// printError renders config diagnostics with source snippets and
// every other error as it is. Plugin launch errors arrive joined, one per
// plugin, and may include diagnostics from a plugin's config block.
func printError(err error) {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	problems := 0
	for _, e := range errs {
		var d *config.Diagnostics
		if errors.As(e, &d) {
			// One "file:line:col: summary: detail" line per problem, the
			// form editors and terminals turn into links.
			fmt.Fprintf(os.Stderr, "%s\n", d.Error())
			problems += len(d.Diags)
			continue
		}
		fmt.Fprintf(os.Stderr, "%v\n", e)
		problems++
	}
	fmt.Fprintf(os.Stderr, "atrium: %d problem(s); nothing was started\n", problems)
}

func cmdServer(args []string) int {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	path := fs.String("config", "", "HCL config `file` (default: the embedded default config)")
	level := fs.String("log-level", envOr("ATRIUM_LOG_LEVEL", "info"), "log `level`: trace, debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// SIGHUP reloads the configuration. Go's default for it ends the
	// process, so it is caught before anything else runs; one asked for
	// while the core starts is applied once it serves.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reloads := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reloads <- struct{}{}:
			default: // one reload is already due; it reads the newest file
			}
		}
	}()
	cfg, err := loadConfig(*path)
	if err != nil {
		printError(err)
		return 1
	}
	log := newLogger(*level)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal starts the drain; a second one ends the process at
	// once, for an operator who cannot wait.
	go func() { <-ctx.Done(); stop() }()
	if err := server.Run(ctx, cfg, server.Options{Logger: log, Version: version,
		Reload: reloads, LoadConfig: func() (*config.Config, error) { return loadConfig(*path) }}); err != nil {
		printError(err)
		return 1
	}
	return 0
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
