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
//   - a session the runtime runs but the database has stopped, failed,
//     deleted or never heard of is an orphan: it is destroyed, keeping the
//     home volume.
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

	for id, ls := range listed {
		s, err := m.st.GetSession(ctx, system, id)
		if errors.Is(err, store.ErrNotFound) {
			// Never Atrium's here, or its row is gone: nothing to lease.
			m.destroyOrphan(ctx, rt, id, ls)
			continue
		}
		if err != nil {
			return err
		}
		if s.Runtime != name || !unwanted(s.State) {
			continue
		}
		m.withLease(ctx, id, false, func(ctx context.Context, cur store.Session) bool {
			if cur.Runtime == name && unwanted(cur.State) {
				m.destroyOrphan(ctx, rt, id, ls)
			}
			return false
		})
	}
	return nil
}

// unwanted reports whether a session in state st should have nothing left
// in its runtime.
func unwanted(st store.SessionState) bool {
	return st == store.StateStopped || st == store.StateFailed || st == store.StateDeleted
}

// destroyOrphan removes a runtime session the database does not want,
// keeping the home volume.
func (m *Manager) destroyOrphan(ctx context.Context, rt interface {
	DestroySession(context.Context, runtime.DestroyRequest) (runtime.DestroyResponse, error)
}, id uuid.UUID, ls runtime.ListedSession) {
	cctx, cancel := m.callCtx(ctx)
	defer cancel()
	if _, err := rt.DestroySession(cctx, runtime.DestroyRequest{SessionID: id.String(), Handle: ls.Handle}); err != nil {
		m.log.Warn("cannot destroy orphaned runtime session", "session", id, "error", err)
		return
	}
	m.log.Info("destroyed orphaned runtime session", "session", id, "runtime_state", ls.Status.State.String())
}
