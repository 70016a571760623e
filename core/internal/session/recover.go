package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// recoverStates are the states whose sessions a runtime may be running.
var recoverStates = []store.SessionState{store.StateStarting, store.StateRunning, store.StateHibernating,
	store.StateHibernated, store.StateResuming, store.StateStopping}

// recoverRuntimes recovers the sessions of every runtime flagged at start
// or by a plugin restart. A runtime whose plugin is not serving stays
// flagged and is tried again at the next wake-up.
func (m *Manager) recoverRuntimes(ctx context.Context) {
	m.mu.Lock()
	var names []string
	for name, due := range m.recover {
		if due {
			names = append(names, name)
		}
	}
	m.mu.Unlock()
	for _, name := range names {
		if err := m.recoverRuntime(ctx, name); err != nil {
			if ctx.Err() == nil {
				m.log.Warn("cannot recover the runtime's sessions yet", "runtime", name, "error", err)
			}
			continue
		}
		m.mu.Lock()
		m.recover[name] = false
		m.mu.Unlock()
	}
}

// recoverRuntime hands a (fresh) runtime plugin process the stored handle
// of each of its sessions that may exist, and settles what it reports:
// running stays running, a session the runtime no longer has fails, and a
// stopping one that is gone is stopped. Sessions being worked on are left
// to whoever works on them.
func (m *Manager) recoverRuntime(ctx context.Context, name string) error {
	rt, err := m.plugins.Runtime(name)
	if err != nil {
		return err
	}
	ss, err := m.listAll(ctx, store.SessionFilter{Runtime: name, States: recoverStates})
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range ss {
		if !hasHandle(s) {
			continue // a start that never got a handle: its step starts it again
		}
		m.withLease(ctx, s.ID, false, func(ctx context.Context, s store.Session) bool {
			if !hasHandle(s) || s.Runtime != name {
				return false
			}
			cctx, cancel := m.callCtx(ctx)
			res, err := rt.RecoverSession(cctx, runtime.RecoverRequest{SessionID: s.ID.String(), Handle: handleOf(s)})
			cancel()
			if errors.Is(err, runtime.ErrSessionNotFound) {
				res, err = runtime.RecoverResponse{Status: runtime.Status{State: runtime.StateMissing}}, nil
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("recover session %s: %w", s.ID, err))
				return false
			}
			if res.Status.State == runtime.StateRunning || res.Status.State == runtime.StateStopped {
				if _, err := m.setHandle(ctx, s, res.Handle, res.Status); err != nil {
					errs = append(errs, err)
				}
			}
			return m.settle(ctx, s, res.Status, "after the runtime plugin restarted")
		})
	}
	m.log.Info("recovered runtime sessions", "runtime", name, "sessions", len(ss))
	return errors.Join(errs...)
}

// settle converges a session's row with a status the runtime reported for
// it, and reports whether it changed anything. when says in which
// situation the runtime reported it, for the error a person reads.
func (m *Manager) settle(ctx context.Context, s store.Session, st runtime.Status, when string) bool {
	gone := st.State == runtime.StateMissing || st.State == runtime.StateExited
	var err error
	switch {
	case !gone:
		return false
	case s.State == store.StateStopping:
		_, err = m.transition(ctx, s, store.StateStopped, "stopped: the runtime no longer has it")
	case s.State == store.StateStarting || s.State == store.StateResuming:
		return false // the start or resume step watches it and fails it itself
	default:
		msg := fmt.Sprintf("the session's container disappeared %s (%s)", when, describeStatus(st))
		if st.State == runtime.StateExited {
			msg = fmt.Sprintf("the session's process exited %s (%s)", when, describeStatus(st))
		}
		err = m.fail(ctx, s, msg)
	}
	if err != nil {
		if !errors.Is(err, store.ErrStateChanged) {
			m.log.Warn("cannot record what the runtime reported", "session", s.ID, "error", err)
		}
		return false
	}
	return true
}
