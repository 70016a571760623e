// Package docker implements Atrium's runtime plugin for a Docker engine.
//
// Each session is one container on a bridge network the plugin owns. The
// container publishes no host ports: the core reaches it at its address on
// that network (endpoint tunnels) or through the plugin (socket tunnels).
// A user's home is a named volume that outlives sessions.
//
// The plugin holds no state that matters. Everything it creates carries
// Atrium's labels, so a fresh process finds a session's container by its
// session label when the handle the core stored is stale.
package docker

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// Version is the release of this plugin.
const Version = "0.1.0"

// Runtime runs Atrium sessions as Docker containers. Create it with New;
// the SDK calls Configure before anything else.
type Runtime struct {
	mu  sync.RWMutex
	eng *engine
}

// engine is a configured connection: the client, the checked config and the
// name of the runtime block. It never changes once made, so calls use it
// without locks.
type engine struct {
	cli      *client.Client
	cfg      settings
	instance string
}

// The optional interfaces the core type-asserts.
var (
	_ runtime.Runtime          = (*Runtime)(nil)
	_ runtime.EventWatcher     = (*Runtime)(nil)
	_ runtime.EndpointTunneler = (*Runtime)(nil)
	_ runtime.Dialer           = (*Runtime)(nil)
	_ plugin.HealthChecker     = (*Runtime)(nil)
	_ plugin.ConfigValidator   = (*Runtime)(nil)
)

// New returns an unconfigured runtime.
func New() *Runtime {
	return &Runtime{}
}

// PluginInfo names the plugin.
func (r *Runtime) PluginInfo() plugin.Info {
	return plugin.Info{
		Name:        "runtime-docker",
		Version:     Version,
		Description: "Runs sessions as containers on a Docker engine",
	}
}

// ConfigSchema describes the plugin's config block.
func (r *Runtime) ConfigSchema() schema.Object {
	return configSchema()
}

// ValidateConfig checks the decoded values without touching the engine, so
// `atrium config validate` refuses what Configure would, at each value's
// line.
func (r *Runtime) ValidateConfig(_ context.Context, req plugin.ValidateConfigRequest) error {
	_, err := parseConfig(req.Config)
	return err
}

// Configure connects to the engine, negotiating the API version, and makes
// sure the plugin's network exists and is what the config says.
func (r *Runtime) Configure(ctx context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	cfg, err := parseConfig(req.Config)
	if err != nil {
		return plugin.ConfigureResponse{}, err
	}
	cli, err := newClient(ctx, cfg.host)
	if err != nil {
		return plugin.ConfigureResponse{}, err
	}
	if err := ensureNetwork(ctx, cli, cfg, req.Instance); err != nil {
		_ = cli.Close()
		return plugin.ConfigureResponse{}, err
	}

	r.mu.Lock()
	old := r.eng
	r.eng = &engine{cli: cli, cfg: cfg, instance: req.Instance}
	r.mu.Unlock()
	if old != nil {
		_ = old.cli.Close()
	}
	plugin.Logger().Info("connected to docker engine",
		"host", cfg.host, "api_version", cli.ClientVersion(),
		"network", cfg.network, "subnet", cfg.subnet.String(), "tunnel", cfg.tunnel)
	return plugin.ConfigureResponse{}, nil
}

// newClient connects to the engine at host and negotiates the API version,
// so that one plugin build works with older and newer engines.
func newClient(ctx context.Context, host string) (*client.Client, error) {
	opts := []client.Opt{client.WithHost(host)}
	// TLS for tcp:// hosts comes from the same variables the Docker CLI
	// reads.
	if os.Getenv("DOCKER_CERT_PATH") != "" {
		opts = append(opts, client.WithTLSClientConfigFromEnv())
	}
	cli, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker host %q is not usable: %w; set config { host } to e.g. %q", host, err, defaultSocketHost)
	}
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = cli.Close()
		return nil, unreachable(host, err)
	}
	return cli, nil
}

// unreachable explains an engine that does not answer.
func unreachable(host string, err error) error {
	return fmt.Errorf("docker engine not reachable at %s: %w; start dockerd (scripts/docker-up.sh does) or set config { host }", host, err)
}

// Health pings the engine.
func (r *Runtime) Health(ctx context.Context) error {
	e, err := r.engine()
	if err != nil {
		return err
	}
	if _, err := e.cli.Ping(ctx, client.PingOptions{}); err != nil {
		return unreachable(e.cfg.host, err)
	}
	return nil
}

// engine returns the connection Configure made.
func (r *Runtime) engine() (*engine, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.eng == nil {
		return nil, fmt.Errorf("runtime-docker is not configured: the core calls Configure first")
	}
	return r.eng, nil
}

// Close releases the connection to the engine. The SDK never calls it; tests
// that make many instances do.
func (r *Runtime) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.eng == nil {
		return nil
	}
	err := r.eng.cli.Close()
	r.eng = nil
	return err
}
