package session

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// resyncAll compares each runtime with the database.
func (m *Manager) resyncAll(ctx context.Context) {
	names := make([]string, 0, len(m.runtimes))
	for name := range m.runtimes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := m.resync(ctx, name); err != nil && ctx.Err() == nil {
			m.log.Warn("cannot compare the runtime with the database; retrying at the next resync", "runtime", name, "error", err)
		}
	}
}

// resync converges the database and one runtime, in case an event was
// missed or the runtime has none:
//   - a session the database has running or hibernated that the runtime
//     lacks, or whose process exited, fails (confirmed first with
//     InspectSession, since the list may predate a start);
//   - a session the runtime runs but the database has stopped, failed or
//     is deleting is destroyed, keeping the home volume;
//   - one the database never heard of, or whose delete is done, is an
//     orphan: recorded (recordOrphan) and left running until a platform
//     admin adopts or destroys it.
//
// Only this installation's sessions are listed (LabelInstall): another
// installation's, or a test run's, on the same engine are left alone.
func (m *Manager) resync(ctx context.Context, name string) error {
	rt, err := m.plugins.Runtime(name)
	if err != nil {
		return err
	}
	cctx, cancel := m.callCtx(ctx)
	list, err := rt.ListSessions(cctx, runtime.ListRequest{Labels: map[string]string{LabelInstall: m.install}})
	cancel()
	if err != nil {
		return fmt.Errorf("list sessions of runtime %q: %w", name, err)
	}
	listed := map[uuid.UUID]runtime.ListedSession{}
	for _, ls := range list.Sessions {
		id, err := uuid.Parse(ls.SessionID)
		if err != nil {
			m.log.Warn("the runtime lists a session whose id is not Atrium's; leaving it alone", "runtime", name, "session", ls.SessionID)
			continue
		}
		listed[id] = ls
	}

	live, err := m.listAll(ctx, store.SessionFilter{Runtime: name, States: []store.SessionState{store.StateRunning, store.StateHibernated}})
	if err != nil {
		return err
	}
	for _, s := range live {
		ls, ok := listed[s.ID]
		if ok && ls.Status.State != runtime.StateMissing && ls.Status.State != runtime.StateExited {
			continue
		}
		m.withLease(ctx, s.ID, false, func(ctx context.Context, s store.Session) bool {
			if s.State != store.StateRunning && s.State != store.StateHibernated {
				return false
			}
			cctx, cancel := m.callCtx(ctx)
			ins, err := rt.InspectSession(cctx, runtime.InspectRequest{SessionID: s.ID.String(), Handle: handleOf(s)})
			cancel()
			if errors.Is(err, runtime.ErrSessionNotFound) {
				ins.Status, err = runtime.Status{State: runtime.StateMissing, Message: "the runtime has no trace of it"}, nil
			}
			if err != nil {
				m.log.Warn("cannot inspect session", "session", s.ID, "error", err)
				return false
			}
			return m.settle(ctx, s, ins.Status, "while it ran")
		})
	}

	seen := make([]string, 0, len(listed))
	for id, ls := range listed {
		s, err := m.st.GetSession(ctx, system, id)
		if errors.Is(err, store.ErrNotFound) {
			// Never Atrium's here, or its row is gone (a database restored
			// from backup): an admin decides.
			m.recordOrphan(ctx, name, ls)
			seen = append(seen, ls.SessionID)
			continue
		}
		if err != nil {
			return err
		}
		if s.Runtime != name || !unwanted(s.State) {
			continue
		}
		if s.State == store.StateDeleted {
			td, err := m.st.GetTeardown(ctx, id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err != nil || td.Done {
				// Its delete finished, yet the runtime runs it: not
				// something this core started, so an admin decides.
				m.recordOrphan(ctx, name, ls)
				seen = append(seen, ls.SessionID)
				continue
			}
		}
		// Stopped, failed, or a delete under way: the database's decision
		// stands and what is left goes.
		m.withLease(ctx, id, false, func(ctx context.Context, cur store.Session) bool {
			if cur.Runtime == name && unwanted(cur.State) {
				m.destroyLeftover(ctx, rt, id, ls)
			}
			return false
		})
	}
	// Orphans the runtime no longer lists were removed behind the core's
	// back, adopted or destroyed.
	return m.st.ForgetOrphans(ctx, name, seen)
}

// unwanted reports whether a session in state st should have nothing left
// in its runtime.
func unwanted(st store.SessionState) bool {
	return st == store.StateStopped || st == store.StateFailed || st == store.StateDeleted
}

// destroyLeftover removes what the runtime still has of a session the
// database has stopped, failed or is deleting, keeping the home volume.
func (m *Manager) destroyLeftover(ctx context.Context, rt interface {
	DestroySession(context.Context, runtime.DestroyRequest) (runtime.DestroyResponse, error)
}, id uuid.UUID, ls runtime.ListedSession) {
	cctx, cancel := m.callCtx(ctx)
	defer cancel()
	if _, err := rt.DestroySession(cctx, runtime.DestroyRequest{SessionID: id.String(), Handle: ls.Handle}); err != nil {
		m.log.Warn("cannot destroy what is left of a session in its runtime", "session", id, "error", err)
		return
	}
	m.log.Info("destroyed what was left of a session in its runtime", "session", id, "runtime_state", ls.Status.State.String())
}
