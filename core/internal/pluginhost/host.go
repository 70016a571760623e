// Package pluginhost launches, pins, checks and supervises Atrium's plugin
// processes. Each configured runtime, workspace and auth block runs as its
// own process, started from a binary whose SHA-256 the config pins, over
// go-plugin with AutoMTLS. A crashed plugin is restarted with backoff and
// those who depend on it are told, so they can recover what it served.
package pluginhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// Spec is one plugin process to run: a binary, and the configuration block
// that uses it.
type Spec struct {
	// Name identifies the instance, e.g. "runtime.docker".
	Name string
	// Kind is the kind the configuration block needs.
	Kind plugin.Kind
	// Block names the configuration block for messages, e.g.
	// `runtime "docker"`.
	Block string
	// Pos is where the block is declared, "file:line:col", so errors about
	// the plugin lead the user to the line to fix.
	Pos string
	// Plugin names the `plugin` block that gives the binary.
	Plugin string
	Path   string
	// SHA256 is the pinned hex digest of the binary.
	SHA256 string
	Args   []string
	Env    map[string]string
	// Decode turns the block's `config { }` body into JSON against the
	// plugin's own schema. Its errors carry the user's file and line.
	Decode func(schema.Object) (json.RawMessage, error)
	// Problems reports the values the plugin refused after decoding (its
	// ValidateConfig answer) at the lines that wrote them. Nil: they are
	// reported at Pos.
	Problems func(schema.Object, []plugin.ConfigProblem) error
}

// Options configure a Host.
type Options struct {
	Logger hclog.Logger
	// Version is the core's release, told to every plugin in Configure.
	Version string
	// TunnelDir is the core-owned directory where runtime plugins create
	// socket-tunnel sockets.
	TunnelDir string
	// CallTimeout bounds each control call made while launching a plugin
	// (Info, ConfigSchema, Configure) and each health check.
	CallTimeout time.Duration
	// HealthInterval is how often a running plugin's health is checked.
	HealthInterval time.Duration
	// MaxBackoff caps the delay between restarts of a crashing plugin.
	MaxBackoff time.Duration
}

// Host runs and supervises plugin processes.
type Host struct {
	opts Options
	log  hclog.Logger

	mu        sync.RWMutex
	instances map[string]*Instance
	listeners []func(Event)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// EventType says what happened to a plugin.
type EventType string

// The events a Host reports.
const (
	// EventDown: the plugin's process died or stopped answering.
	EventDown EventType = "down"
	// EventRestarted: a fresh process serves the plugin again; whatever the
	// old one served must be recovered.
	EventRestarted EventType = "restarted"
)

// Event reports a change of a plugin instance.
type Event struct {
	Name string
	Kind plugin.Kind
	Type EventType
	Err  error
}

// New returns a Host. Call Start to launch plugins.
func New(opts Options) *Host {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 10 * time.Second
	}
	if opts.HealthInterval <= 0 {
		opts.HealthInterval = 10 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Host{
		opts:      opts,
		log:       opts.Logger,
		instances: map[string]*Instance{},
		ctx:       ctx,
		cancel:    cancel,
	}
}

// Subscribe registers fn to be called for every plugin event. fn must not
// block; it runs on the supervisor's goroutine.
func (h *Host) Subscribe(fn func(Event)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.listeners = append(h.listeners, fn)
}

func (h *Host) emit(e Event) {
	h.mu.RLock()
	ls := append([]func(Event){}, h.listeners...)
	h.mu.RUnlock()
	for _, fn := range ls {
		fn(e)
	}
}

// Check launches every spec, checks its kind, protocol and API version,
// decodes its config block against the plugin's schema, has a plugin that
// checks its own values check them, and stops it again. It is what
// `atrium config validate` runs; every problem is reported at once.
func (h *Host) Check(ctx context.Context, specs []Spec) error {
	_, err := h.launchAll(ctx, specs, true)
	return err
}

// Start launches every spec. It launches them all before returning so that
// every broken plugin is reported at once; if any fails, the ones that
// started are stopped again and nothing is left running.
func (h *Host) Start(ctx context.Context, specs []Spec) error {
	insts, err := h.launchAll(ctx, specs, false)
	if err != nil {
		return err
	}
	h.mu.Lock()
	for _, inst := range insts {
		h.instances[inst.spec.Name] = inst
	}
	h.mu.Unlock()
	for _, inst := range insts {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			inst.supervise(h.ctx)
		}()
	}
	return nil
}

func (h *Host) launchAll(ctx context.Context, specs []Spec, checkOnly bool) ([]*Instance, error) {
	type result struct {
		inst *Instance
		err  error
	}
	results := make([]result, len(specs))
	var wg sync.WaitGroup
	for i, s := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst := newInstance(h, s)
			results[i] = result{inst, inst.launch(ctx, checkOnly)}
		}()
	}
	wg.Wait()

	var errs []error
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if len(errs) > 0 {
		for _, r := range results {
			r.inst.kill()
		}
		return nil, errors.Join(errs...)
	}
	insts := make([]*Instance, len(results))
	for i, r := range results {
		insts[i] = r.inst
	}
	return insts, nil
}

// Get returns the named instance, or nil.
func (h *Host) Get(name string) *Instance {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.instances[name]
}

// Statuses reports every instance, sorted by name.
func (h *Host) Statuses() []Status {
	h.mu.RLock()
	out := make([]Status, 0, len(h.instances))
	for _, inst := range h.instances {
		out = append(out, inst.Status())
	}
	h.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Healthy reports whether every plugin is serving, and names those that are
// not.
func (h *Host) Healthy() (bool, []string) {
	var down []string
	for _, s := range h.Statuses() {
		if s.State != StateHealthy {
			down = append(down, fmt.Sprintf("%s: %s", s.Name, s.State))
		}
	}
	return len(down) == 0, down
}

// Shutdown stops supervising and kills every plugin process.
func (h *Host) Shutdown() {
	h.cancel()
	h.wg.Wait()
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, inst := range h.instances {
		inst.stop()
	}
}

// ErrNoInstance is returned for a plugin instance name nobody configured.
var ErrNoInstance = errors.New("no such plugin instance")

// Probe calls the named plugin's Health now, through its current process,
// and returns its status with the result. It shows that calls reach the
// plugin, not just that its process exists.
func (h *Host) Probe(ctx context.Context, name string) (Status, error) {
	inst := h.Get(name)
	if inst == nil {
		return Status{}, fmt.Errorf("%q: %w", name, ErrNoInstance)
	}
	base, err := inst.Base()
	if err != nil {
		return inst.Status(), err
	}
	ctx, cancel := context.WithTimeout(ctx, h.opts.CallTimeout)
	defer cancel()
	return inst.Status(), base.Health(ctx)
}
