package session

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// workStates are the states in which a session waits for the reconciler.
var workStates = []store.SessionState{store.StatePending, store.StateStarting, store.StateHibernating,
	store.StateResuming, store.StateStopping}

// Run reconciles until ctx ends: it recovers every runtime's sessions, then
// drives sessions toward the state their row asks for, woken by this
// core's requests, by every replica's changes (LISTEN), by runtime events
// and plugin restarts, and every ResyncInterval, when it also compares
// each runtime's ListSessions with the database and stops idle and
// over-age sessions. Run returns after the work in flight has stopped.
func (m *Manager) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer m.locks.close()

	m.watcher.hook(func(c Change, reset bool) {
		// Progress of a start under way gives the reconciler nothing to do.
		if reset || c.StateChanged() {
			m.wake()
		}
	})
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); m.watcher.Run(ctx) }()
	defer func() { <-watchDone }()

	m.plugins.RuntimeRestarted(func(name string) {
		m.mu.Lock()
		if _, ok := m.runtimes[name]; ok {
			m.recover[name] = true
			select {
			case m.restarted[name] <- true:
			default:
			}
		}
		m.mu.Unlock()
		m.wake()
	})
	for name := range m.runtimes {
		go m.watchEvents(ctx, name)
	}
	select {
	case <-m.watcher.Listening():
	case <-ctx.Done():
	}

	tick := time.NewTicker(m.opts.ResyncInterval)
	defer tick.Stop()
	defer m.steps.Wait()
	m.recoverRuntimes(ctx)
	if m.sweeps(ctx) {
		m.resyncAll(ctx)
	}
	m.pass(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-m.wakeCh:
			m.recoverRuntimes(ctx)
			m.pass(ctx)
		case <-tick.C:
			m.recoverRuntimes(ctx)
			// One replica sweeps; the others' ticks only pass.
			if m.sweeps(ctx) {
				m.resyncAll(ctx)
				m.cull(ctx)
			}
			m.pass(ctx)
		}
	}
}

// pass starts a step for each session that waits for one and is not
// already being worked on, here or by a peer.
func (m *Manager) pass(ctx context.Context) {
	ids, err := m.pendingWork(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("cannot list sessions to reconcile; retrying at the next wake-up", "error", err)
		}
		return
	}
	for _, id := range ids {
		m.withLease(ctx, id, true, m.step)
	}
}

// pendingWork lists the sessions in a work state and those with a delete
// to finish.
func (m *Manager) pendingWork(ctx context.Context) ([]uuid.UUID, error) {
	ss, err := m.listAll(ctx, store.SessionFilter{States: workStates})
	if err != nil {
		return nil, err
	}
	seen := map[uuid.UUID]bool{}
	var ids []uuid.UUID
	for _, s := range ss {
		seen[s.ID] = true
		ids = append(ids, s.ID)
	}
	tds, err := m.st.PendingTeardowns(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range tds {
		if !seen[id] {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// listAll pages through every session matching f.
func (m *Manager) listAll(ctx context.Context, f store.SessionFilter) ([]store.Session, error) {
	var out []store.Session
	page := store.Page{Limit: store.MaxPageSize}
	for {
		ss, next, err := m.st.ListSessions(ctx, system, f, page)
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		out = append(out, ss...)
		if next == "" {
			sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
			return out, nil
		}
		page.Cursor = next
	}
}

// withLease runs fn on the session's current row while holding its lease,
// in the background when async is set (bounded by MaxParallel). It does
// nothing if the lease is taken: whoever holds it does the work, and its
// state change wakes everyone again. When fn reports progress, a pass
// follows the lease's release, since the notification of fn's change may
// have arrived while the lease still kept this core off the session.
func (m *Manager) withLease(ctx context.Context, id uuid.UUID, async bool, fn func(context.Context, store.Session) bool) {
	ls, err := m.locks.tryLock(ctx, id)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("cannot lock session", "session", id, "error", err)
		}
		return
	}
	if ls == nil {
		return
	}
	run := func() (progress bool) {
		defer ls.release()
		lctx, cancel := ls.context(ctx)
		defer cancel()
		// Read the row only now: it may have changed before the lock.
		s, err := m.st.GetSession(lctx, system, id)
		if err != nil {
			if lctx.Err() == nil {
				m.log.Error("cannot read session", "session", id, "error", err)
			}
			return false
		}
		return fn(lctx, s)
	}
	if !async {
		if run() {
			m.wake()
		}
		return
	}
	select {
	case m.sem <- struct{}{}:
	case <-ctx.Done():
		ls.release()
		return
	}
	m.steps.Add(1)
	go func() {
		defer m.steps.Done()
		defer func() { <-m.sem }()
		if run() {
			m.wake()
		}
	}()
}
