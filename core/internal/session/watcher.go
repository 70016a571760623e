package session

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// NotifyChannel is the PostgreSQL channel on which the sessions table's
// trigger announces every change of state and of start phase.
const NotifyChannel = "atrium_session_state"

// Change is one change of a session's state or start phase, as the
// database announced it.
type Change struct {
	ID     uuid.UUID          `json:"id"`
	OrgID  uuid.UUID          `json:"org_id"`
	UserID uuid.UUID          `json:"user_id"`
	From   store.SessionState `json:"from,omitempty"`
	To     store.SessionState `json:"to"`
	// StartPhase and StartMessage are the session's start progress after
	// the change ("" when none); see store.Queries.SetStartPhase.
	StartPhase   string `json:"start_phase,omitempty"`
	StartMessage string `json:"start_message,omitempty"`
}

// StateChanged reports whether the state changed; when it did not, only
// the start phase did.
func (c Change) StateChanged() bool { return c.From != c.To }

// subscriberBuffer is how many changes a subscriber may fall behind before
// it is dropped; a dropped subscriber's channel closes and it must reload.
const subscriberBuffer = 64

// Watcher LISTENs once per core on NotifyChannel and fans each change out
// to the subscribers allowed to see it; on the same connection it follows
// AccessChannel for SubscribeRevocations. Because every replica's writes
// notify every replica, a browser connected to one core sees changes made
// by another.
type Watcher struct {
	pool *pgxpool.Pool
	log  hclog.Logger

	listening chan struct{} // closed once the first LISTEN is in place
	once      sync.Once

	mu          sync.Mutex
	subs        map[*subscriber]struct{}
	revocations map[chan uuid.UUID]struct{}
	hooks       []func(Change, bool)
}

type subscriber struct {
	sc store.Scope
	ch chan Change
}

// NewWatcher returns a Watcher; Run makes it listen.
func NewWatcher(pool *pgxpool.Pool, logger hclog.Logger) *Watcher {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Watcher{pool: pool, log: logger, subs: map[*subscriber]struct{}{}, revocations: map[chan uuid.UUID]struct{}{},
		listening: make(chan struct{})}
}

// Listening is closed once the Watcher listens. Changes committed before
// then reach no subscriber, so a client that must not miss any waits for
// it before reading the state it then follows.
func (w *Watcher) Listening() <-chan struct{} { return w.listening }

// Subscribe returns the changes of sessions sc can see, from now on, and a
// function that ends the subscription. The channel is closed when the
// subscription ends, when the subscriber falls more than a few dozen
// changes behind, or when the database connection was lost (changes may
// have been missed): in each case the client reloads what it shows and
// subscribes again. Visibility mirrors the store: platform admins see
// everything, org admins their organisations' sessions, members their own.
func (w *Watcher) Subscribe(sc store.Scope) (<-chan Change, func()) {
	s := &subscriber{sc: sc, ch: make(chan Change, subscriberBuffer)}
	w.mu.Lock()
	w.subs[s] = struct{}{}
	w.mu.Unlock()
	return s.ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if _, ok := w.subs[s]; ok {
			delete(w.subs, s)
			close(s.ch)
		}
	}
}

// hook registers fn for every change, and for every reconnection (with
// reset set: changes may have been missed). fn must not block.
func (w *Watcher) hook(fn func(c Change, reset bool)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hooks = append(w.hooks, fn)
}

// visible mirrors store's session visibility rule.
func visible(sc store.Scope, c Change) bool {
	if sc.PlatformAdmin {
		return true
	}
	role, member := sc.Orgs[c.OrgID]
	return role == store.RoleOrgAdmin || (member && c.UserID == sc.UserID)
}

func (w *Watcher) publish(c Change) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, fn := range w.hooks {
		fn(c, false)
	}
	for s := range w.subs {
		if !visible(s.sc, c) {
			continue
		}
		select {
		case s.ch <- c:
		default:
			delete(w.subs, s)
			close(s.ch)
		}
	}
}

// reset ends every subscription, because changes may have been missed.
func (w *Watcher) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, fn := range w.hooks {
		fn(Change{}, true)
	}
	for s := range w.subs {
		delete(w.subs, s)
		close(s.ch)
	}
	for ch := range w.revocations {
		w.dropRevocations(ch)
	}
}

// listenRetryMax caps the pause between attempts to LISTEN again. It is
// short because every moment without the feed is a moment the event
// streams are blind, and an attempt against a database that is down costs
// one refused connection.
const listenRetryMax = 2 * time.Second

// Run listens until ctx ends, reconnecting with backoff.
func (w *Watcher) Run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := w.listen(ctx, func() {
			w.once.Do(func() { close(w.listening) })
			if !first {
				w.reset()
			}
			first = false
			backoff = 100 * time.Millisecond
		})
		if ctx.Err() != nil {
			break
		}
		w.log.Warn("session state notifications lost; reconnecting", "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, listenRetryMax)
	}
	w.reset()
}

func (w *Watcher) listen(ctx context.Context, listening func()) error {
	c, err := w.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := c.Hijack()
	defer conn.Close(context.Background())
	for _, ch := range []string{NotifyChannel, AccessChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Channel == AccessChannel {
			w.publishRevocation(n.Payload)
			continue
		}
		var c Change
		if err := json.Unmarshal([]byte(n.Payload), &c); err != nil {
			w.log.Error("unreadable session state notification", "error", err)
			continue
		}
		w.publish(c)
	}
}
