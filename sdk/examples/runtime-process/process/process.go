// Package process is a runtime plugin that runs each Atrium session as a
// detached local process. It keeps nothing in memory: everything it needs
// lives in the handle the core stores and in the session's directory under
// the configured root, so a fresh plugin process can take over at any time.
//
// It isolates nothing and enforces no resource limits. It exists to show
// what a runtime plugin does, and to run sessions in tests.
package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// The ways the plugin can hand the core a tunnel.
const (
	// tunnelEndpoint: the core dials 127.0.0.1:port itself.
	tunnelEndpoint = "endpoint"
	// tunnelSocket: the plugin dials and the SDK relays through a socket.
	tunnelSocket = "socket"
)

// Runtime runs sessions as local processes.
type Runtime struct {
	cfg config
}

// config is the plugin's `config { }` block.
type config struct {
	Root   string `json:"root"`
	Tunnel string `json:"tunnel"`
}

// The compiler checks that Runtime offers both kinds of tunnel.
var (
	_ runtime.Runtime          = (*Runtime)(nil)
	_ runtime.EndpointTunneler = (*Runtime)(nil)
	_ runtime.Dialer           = (*Runtime)(nil)
)

// New returns an unconfigured runtime.
func New() *Runtime {
	return &Runtime{}
}

// PluginInfo names the plugin.
func (r *Runtime) PluginInfo() plugin.Info {
	return plugin.Info{
		Name:        "runtime-process",
		Version:     "0.1.0",
		Description: "Runs each session as a local process (no isolation; for trials and tests).",
	}
}

// ConfigSchema describes the plugin's configuration.
func (r *Runtime) ConfigSchema() schema.Object {
	return schema.Object{Attrs: map[string]schema.Attr{
		"root": {
			Type:        "string",
			Required:    true,
			Description: "Absolute directory that holds each session's files and the home directories.",
		},
		"tunnel": {
			Type:        "string",
			Description: `How the core reaches sessions: "endpoint" (it dials 127.0.0.1 itself) or "socket" (through the plugin).`,
			Default:     tunnelEndpoint,
		},
	}}
}

// Configure checks the configuration and creates the root's directories.
func (r *Runtime) Configure(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	var c config
	if err := plugin.DecodeConfig(req.Config, &c); err != nil {
		return plugin.ConfigureResponse{}, err
	}
	if c.Tunnel == "" {
		c.Tunnel = tunnelEndpoint
	}
	if c.Tunnel != tunnelEndpoint && c.Tunnel != tunnelSocket {
		return plugin.ConfigureResponse{}, fmt.Errorf("config: tunnel is %q; set it to %q or %q", c.Tunnel, tunnelEndpoint, tunnelSocket)
	}
	if !filepath.IsAbs(c.Root) {
		return plugin.ConfigureResponse{}, fmt.Errorf("config: root %q is not an absolute path; set it to the directory for session data", c.Root)
	}
	c.Root = filepath.Clean(c.Root)
	for _, dir := range []string{filepath.Join(c.Root, sessionsDir), filepath.Join(c.Root, homesDir)} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return plugin.ConfigureResponse{}, fmt.Errorf("config: create %s: %w; check that the plugin may write under root", dir, err)
		}
	}
	r.cfg = c
	return plugin.ConfigureResponse{}, nil
}

// notFound wraps ErrSessionNotFound with the session's id.
func notFound(id string) error {
	return fmt.Errorf("session %s: %w", id, runtime.ErrSessionNotFound)
}

// isMissing reports whether err says a file does not exist.
func isMissing(err error) bool {
	// A process that exits between opening and reading its /proc entry
	// makes the read fail with ESRCH rather than ENOENT.
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}
