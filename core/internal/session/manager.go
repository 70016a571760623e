package session

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// Defaults of Options.
const (
	DefaultResyncInterval = 30 * time.Second
	DefaultReadyTimeout   = 2 * time.Minute
	DefaultCallTimeout    = time.Minute
	DefaultMaxParallel    = 8
)

// lockTimeout bounds a single statement on the lock connection.
const lockTimeout = 10 * time.Second

// Options configure a Manager.
type Options struct {
	Store   *store.Store
	Plugins Plugins
	// Templates and Runtimes are the configuration's blocks; sessions name
	// them by Name. SetTemplates replaces the templates later.
	Templates []*config.Template
	Runtimes  []*config.Runtime
	// EvalContext evaluates templates' `config { }` bodies
	// (config.Config.EvalContext).
	EvalContext *hcl.EvalContext
	// Sealer encrypts session secrets at rest. Required.
	Sealer *Sealer
	// Apps says where browsers reach web apps, which HTTP workspaces are
	// told at launch (the app proxy's Locator). Nil: they are not told.
	Apps   AppLocator
	Logger hclog.Logger
	// ResyncInterval is how often the reconciler compares the database with
	// every runtime's ListSessions, culls idle sessions and retries what
	// failed for want of a plugin. Default DefaultResyncInterval.
	ResyncInterval time.Duration
	// ReadyTimeout is how long a starting or resuming session may take to
	// pass its readiness probe. Default DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// CallTimeout bounds each plugin call. Default DefaultCallTimeout.
	CallTimeout time.Duration
	// StopTimeout is how long a session's process gets to exit before the
	// runtime kills it; zero leaves it to the runtime.
	StopTimeout time.Duration
	// MaxParallel caps the sessions this core drives at once.
	MaxParallel int
}

// Manager admits sessions, changes their desired state on request, and —
// in Run — reconciles the database with the runtimes. Its methods are safe
// for concurrent use; several Managers (one per core replica) may share one
// database.
type Manager struct {
	// install labels everything runtimes create for this installation's
	// sessions, so resync never touches another installation's.
	install   string
	kinds     kinds
	opts      Options
	st        *store.Store
	plugins   Plugins
	templates atomic.Pointer[templateSet]
	runtimes  map[string]*config.Runtime
	sealer    *Sealer
	log       hclog.Logger
	watcher   *Watcher
	locks     *locker
	// swept: this core was the sweeper at its last tick (sweeper.go).
	swept bool

	wakeCh chan struct{}
	sem    chan struct{}
	steps  sync.WaitGroup

	mu        sync.Mutex
	recover   map[string]bool      // runtimes whose sessions must be recovered
	restarted map[string]chan bool // per runtime: signalled when its plugin restarts
}

// New checks the options and prepares the database table the lifecycle
// needs. Call Run to start reconciling.
func New(ctx context.Context, opts Options) (*Manager, error) {
	if opts.Store == nil || opts.Plugins == nil || opts.Sealer == nil {
		return nil, errors.New("session manager: Store, Plugins and Sealer are required")
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.ResyncInterval <= 0 {
		opts.ResyncInterval = DefaultResyncInterval
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = DefaultReadyTimeout
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.MaxParallel <= 0 {
		opts.MaxParallel = DefaultMaxParallel
	}
	install, err := opts.Store.InstallationID(ctx)
	if err != nil {
		return nil, err
	}
	log := opts.Logger.Named("session")
	m := &Manager{
		install:   install.String(),
		opts:      opts,
		st:        opts.Store,
		plugins:   opts.Plugins,
		runtimes:  map[string]*config.Runtime{},
		sealer:    opts.Sealer,
		log:       log,
		watcher:   NewWatcher(opts.Store.Pool(), log.Named("watch")),
		locks:     newLocker(opts.Store.Pool()),
		wakeCh:    make(chan struct{}, 1),
		sem:       make(chan struct{}, opts.MaxParallel),
		recover:   map[string]bool{},
		restarted: map[string]chan bool{},
	}
	m.SetTemplates(opts.Templates, opts.EvalContext)
	for _, r := range opts.Runtimes {
		m.runtimes[r.Name] = r
		m.recover[r.Name] = true
		m.restarted[r.Name] = make(chan bool, 1)
	}
	return m, nil
}

// Watcher is the live feed of state changes for the API's event stream.
// It delivers changes while Run runs.
func (m *Manager) Watcher() *Watcher { return m.watcher }

// HomeVolume names a user's persistent storage. It is the user's immutable
// id, so a renamed user keeps their files.
func HomeVolume(userID uuid.UUID) string { return userID.String() }

// wake asks the reconciler for a pass soon. It never blocks.
func (m *Manager) wake() {
	select {
	case m.wakeCh <- struct{}{}:
	default:
	}
}

type actorKey struct{}

// WithActor attaches who acts to ctx, for the audit log: the API sets the
// API key and client IP here. Without it the actor is the scope's user.
func WithActor(ctx context.Context, a store.Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

func actorFrom(ctx context.Context, sc store.Scope) store.Actor {
	if a, ok := ctx.Value(actorKey{}).(store.Actor); ok {
		return a
	}
	if sc.UserID == uuid.Nil {
		return store.Actor{}
	}
	id := sc.UserID
	return store.Actor{UserID: &id}
}

// system is the scope of the reconciler's own reads and writes.
var system = store.SystemScope()

// callCtx bounds one plugin call.
func (m *Manager) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, m.opts.CallTimeout)
}

// auditSession writes an audit entry about session s.
func auditSession(ctx context.Context, q *store.Queries, actor store.Actor, s store.Session, action string, details map[string]any) error {
	org := s.OrgID
	return q.Audit(ctx, store.AuditEntry{Actor: actor, OrgID: &org, Action: action, TargetType: "session",
		TargetID: s.ID.String(), Details: details})
}
