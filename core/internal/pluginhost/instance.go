package pluginhost

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// Instance is one supervised plugin process. Its clients change when the
// process is restarted, so callers fetch them per use.
type Instance struct {
	host *Host
	spec Spec

	mu        sync.RWMutex
	client    *goplugin.Client
	base      connect.Base
	kind      any
	info      connect.Info
	state     State
	restarts  int
	lastErr   string
	startedAt time.Time
	pid       int
}

func newInstance(h *Host, s Spec) *Instance {
	return &Instance{host: h, spec: s, state: StateStarting}
}

// Name returns the instance's name, e.g. "runtime.docker".
func (i *Instance) Name() string { return i.spec.Name }

// Info returns what the plugin said about itself at its last start.
func (i *Instance) Info() connect.Info {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return i.info
}

// Status reports the instance.
func (i *Instance) Status() Status {
	i.mu.RLock()
	defer i.mu.RUnlock()
	caps := append([]string{}, i.info.Capabilities...)
	sort.Strings(caps)
	return Status{
		Name:         i.spec.Name,
		Kind:         string(i.spec.Kind),
		Plugin:       i.spec.Plugin,
		Binary:       i.spec.Path,
		Version:      i.info.Version,
		SDKVersion:   i.info.SDKVersion,
		Capabilities: caps,
		State:        i.state,
		Restarts:     i.restarts,
		PID:          i.pid,
		StartedAt:    i.startedAt,
		LastError:    i.lastErr,
	}
}

// ErrUnavailable is returned while a plugin is down or restarting.
var ErrUnavailable = fmt.Errorf("plugin is not serving")

func (i *Instance) current() (any, error) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	if i.state != StateHealthy && i.state != StateUnhealthy {
		return nil, fmt.Errorf("%s is %s: %w; see GET /api/v1/plugins", i.spec.Block, i.state, ErrUnavailable)
	}
	return i.kind, nil
}

// Base returns the client of the plugin's common service.
func (i *Instance) Base() (connect.Base, error) {
	if _, err := i.current(); err != nil {
		return nil, err
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	return i.base, nil
}

// Runtime returns the current runtime client.
func (i *Instance) Runtime() (connect.Runtime, error) {
	k, err := i.current()
	if err != nil {
		return nil, err
	}
	c, ok := k.(connect.Runtime)
	if !ok {
		return nil, fmt.Errorf("%s is not a runtime", i.spec.Block)
	}
	return c, nil
}

// Workspace returns the current workspace client.
func (i *Instance) Workspace() (connect.Workspace, error) {
	k, err := i.current()
	if err != nil {
		return nil, err
	}
	c, ok := k.(connect.Workspace)
	if !ok {
		return nil, fmt.Errorf("%s is not a workspace", i.spec.Block)
	}
	return c, nil
}

// Auth returns the current auth client.
func (i *Instance) Auth() (connect.Auth, error) {
	k, err := i.current()
	if err != nil {
		return nil, err
	}
	c, ok := k.(connect.Auth)
	if !ok {
		return nil, fmt.Errorf("%s is not an auth plugin", i.spec.Block)
	}
	return c, nil
}

// launch starts a process, checks it is the plugin the config asks for,
// decodes its config block against the plugin's schema and, unless
// checkOnly, configures it. On any error, and after a check, the process is
// killed.
func (i *Instance) launch(ctx context.Context, checkOnly bool) (err error) {
	s := i.spec
	h := i.host
	where := fmt.Sprintf("%s: plugin %q (%s)", s.Block, s.Plugin, s.Path)
	if s.Pos != "" {
		where = s.Pos + ": " + where
	}

	got, err := fileSHA256(s.Path)
	if err != nil {
		return fmt.Errorf("%s: cannot read the plugin binary: %w; build it (make build) or fix its path", where, err)
	}
	if got != s.SHA256 {
		return fmt.Errorf("%s: SHA-256 mismatch: the binary hashes to %s but the config pins %s; rebuild the plugin you meant to run or update its sha256", where, got, s.SHA256)
	}
	sum, _ := hex.DecodeString(s.SHA256)

	cmd := exec.Command(s.Path, s.Args...)
	// The plugin gets no part of the core's environment but what it needs
	// to run: the core's may hold database credentials.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range s.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}

	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  connect.Handshake,
		VersionedPlugins: connect.ClientPlugins(),
		Cmd:              cmd,
		SecureConfig:     &goplugin.SecureConfig{Checksum: sum, Hash: newSHA256()},
		AutoMTLS:         true,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           h.log.Named(s.Name),
		StartTimeout:     h.opts.CallTimeout,
		SkipHostEnv:      true,
	})
	defer func() {
		if err != nil || checkOnly {
			client.Kill()
		}
	}()

	rpc, err := client.Client()
	if err != nil {
		return fmt.Errorf("%s: start failed: %w; if the plugin speaks another protocol version, install a build made for this Atrium (protocol %d)", where, err, connect.ProtocolVersion)
	}
	raw, err := rpc.Dispense(connect.BaseName)
	if err != nil {
		return fmt.Errorf("%s: no plugin service: %w", where, err)
	}
	base, ok := raw.(connect.Base)
	if !ok {
		return fmt.Errorf("%s: the plugin service has the wrong type %T", where, raw)
	}

	callCtx, cancel := context.WithTimeout(ctx, h.opts.CallTimeout)
	defer cancel()
	info, err := base.Info(callCtx)
	if err != nil {
		return i.callError(where, "Info", err)
	}
	if info.Kind != s.Kind {
		return fmt.Errorf("%s: the plugin is a %s plugin (%s %s), but %s needs a %s plugin; point it at a %s plugin", where, info.Kind, info.Name, info.Version, s.Block, s.Kind, s.Kind)
	}
	apiVersion, err := negotiate(s.Kind, h.opts.Version, info.APIVersions, hostAPIVersions(s.Kind))
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if err := checkCapabilities(s.Kind, info); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	sch, err := base.ConfigSchema(callCtx)
	if err != nil {
		return i.callError(where, "ConfigSchema", err)
	}
	cfg, err := s.Decode(sch)
	if err != nil {
		// Decode errors already carry the user's file and line.
		return err
	}
	if err := i.validate(callCtx, where, base, info, sch, cfg); err != nil {
		return err
	}
	if checkOnly {
		return nil
	}
	req := plugin.ConfigureRequest{Config: cfg, Instance: s.Name, TunnelDir: h.opts.TunnelDir, Host: plugin.Host{
		Version:      h.opts.Version,
		APIVersion:   apiVersion,
		APIVersions:  hostAPIVersions(s.Kind),
		Capabilities: hostCapabilities(s.Kind),
		SDKVersion:   plugin.SDKVersion,
	}}
	if err := base.Configure(callCtx, req); err != nil {
		return i.callError(where, "Configure", err)
	}
	kindRaw, err := rpc.Dispense(string(s.Kind))
	if err != nil {
		return fmt.Errorf("%s: no %s service: %w", where, s.Kind, err)
	}

	pid := 0
	if rc := client.ReattachConfig(); rc != nil {
		pid = rc.Pid
	}
	i.mu.Lock()
	i.client, i.base, i.kind, i.info = client, base, kindRaw, info
	i.state, i.startedAt, i.pid = StateHealthy, time.Now(), pid
	i.mu.Unlock()
	h.log.Info("plugin started", "instance", s.Name, "plugin", info.Name, "version", info.Version, "pid", pid)
	return nil
}

// checkCapabilities refuses a plugin that lacks what its kind cannot do
// without: a runtime the core could never reach a session of.
func checkCapabilities(k plugin.Kind, info connect.Info) error {
	if k == plugin.KindRuntime && !info.Has(connect.CapTunnelEndpoint) && !info.Has(connect.CapTunnelSocket) {
		return fmt.Errorf("the plugin (%s %s) offers no tunnel: it reports neither %q (runtime.EndpointTunneler) nor %q (runtime.Dialer), so the core could never reach its sessions; install a runtime plugin that implements one of them",
			info.Name, info.Version, connect.CapTunnelEndpoint, connect.CapTunnelSocket)
	}
	return nil
}

// validate asks a plugin that checks its own values to check cfg, and
// reports what it refuses at the lines that wrote it.
func (i *Instance) validate(ctx context.Context, where string, base connect.Base, info connect.Info, sch schema.Object, cfg json.RawMessage) error {
	if !info.Has(connect.CapConfigValidate) {
		return nil
	}
	problems, err := base.ValidateConfig(ctx, plugin.ValidateConfigRequest{Config: cfg, Instance: i.spec.Name})
	if err != nil {
		return i.callError(where, "ValidateConfig", err)
	}
	if len(problems) == 0 {
		return nil
	}
	if i.spec.Problems != nil {
		return i.spec.Problems(sch, problems)
	}
	errs := make([]error, 0, len(problems))
	for _, p := range problems {
		errs = append(errs, fmt.Errorf("%s: %s: %s", where, strings.Join(p.Path, "."), p.Message))
	}
	return errors.Join(errs...)
}

func (i *Instance) callError(where, call string, err error) error {
	if isTimeout(err) {
		return fmt.Errorf("%s: %s did not answer within %s; check the plugin's log, or raise server { plugin_timeout }", where, call, i.host.opts.CallTimeout)
	}
	return fmt.Errorf("%s: %s failed: %w", where, call, err)
}

func (i *Instance) kill() {
	i.mu.Lock()
	c := i.client
	i.mu.Unlock()
	if c != nil {
		c.Kill()
	}
}

func (i *Instance) stop() {
	i.kill()
	i.mu.Lock()
	i.state = StateStopped
	i.mu.Unlock()
}
