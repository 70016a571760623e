package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// ErrCannotAdopt means an orphan cannot become a session again: its owner
// or organisation is gone, the owner left the organisation, its template
// is no longer configured, the database still has its row, or it no
// longer runs. The error says which; destroying it is the other choice.
var ErrCannotAdopt = errors.New("the orphaned runtime session cannot be adopted")

// recordOrphan notes a runtime session the database does not know (or has
// deleted) instead of destroying it: after a restore from backup, sessions
// created since then still run there, and only an admin may decide that
// they go. The first sighting is logged and audited once, whichever core
// replica makes it.
func (m *Manager) recordOrphan(ctx context.Context, rt string, ls runtime.ListedSession) {
	o := store.Orphan{Runtime: rt, SessionID: ls.SessionID, UserID: ls.Labels[LabelUser], OrgID: ls.Labels[LabelOrg],
		Template: ls.Labels[LabelTemplate], Labels: ls.Labels, HandleVersion: int32(ls.Handle.Version),
		HandleData: ls.Handle.Data, RuntimeState: ls.Status.State.String()}
	var first bool
	err := m.st.InTx(ctx, func(q *store.Queries) error {
		var err error
		if o, first, err = q.RecordOrphan(ctx, o); err != nil || !first {
			return err
		}
		return q.Audit(ctx, store.AuditEntry{Action: "runtime_orphan.found", TargetType: "runtime_orphan", TargetID: o.ID.String(),
			Details: map[string]any{"runtime": rt, "session_id": o.SessionID, "user_id": o.UserID, "org_id": o.OrgID,
				"template": o.Template, "runtime_state": o.RuntimeState}})
	})
	if err != nil {
		m.log.Warn("cannot record an orphaned runtime session; it is left running", "runtime", rt, "session", ls.SessionID, "error", err)
		return
	}
	if first {
		m.log.Warn("the runtime runs a session the database does not know; it is left running until a platform admin adopts or destroys it (GET /api/v1/admin/orphans)",
			"runtime", rt, "session", o.SessionID, "orphan", o.ID, "user", o.UserID, "org", o.OrgID, "runtime_state", o.RuntimeState)
	}
}

// Orphans lists the runtime sessions the database does not know. The caller
// checks that a platform admin asks (authz.OrphansManage).
func (m *Manager) Orphans(ctx context.Context) ([]store.Orphan, error) {
	return m.st.ListOrphans(ctx)
}

// DestroyOrphan destroys an orphaned runtime session, keeping the owner's
// home volume unless removeHome. The caller checks authz.OrphansManage.
func (m *Manager) DestroyOrphan(ctx context.Context, sc store.Scope, id uuid.UUID, removeHome bool) error {
	o, err := m.st.GetOrphan(ctx, id)
	if err != nil {
		return err
	}
	rt, err := m.runtime(o.Runtime)
	if err != nil {
		return err
	}
	req := runtime.DestroyRequest{SessionID: o.SessionID, Handle: runtime.Handle{Version: uint32(o.HandleVersion), Data: o.HandleData}}
	if removeHome {
		owner, err := uuid.Parse(o.UserID)
		if err != nil {
			return fmt.Errorf("%w: its owner label %q is not a user id, so there is no home volume to name; destroy it keeping the home", store.ErrInvalid, o.UserID)
		}
		req.RemoveHome, req.HomeVolume = true, HomeVolume(owner)
	}
	cctx, cancel := m.callCtx(ctx)
	_, err = rt.DestroySession(cctx, req)
	cancel()
	if err != nil {
		return fmt.Errorf("destroy orphaned runtime session %s: %w", o.SessionID, err)
	}
	m.log.Info("destroyed orphaned runtime session at an admin's request", "runtime", o.Runtime, "session", o.SessionID, "remove_home", removeHome)
	return m.st.InTx(ctx, func(q *store.Queries) error {
		if err := q.DeleteOrphan(ctx, o.ID); err != nil {
			return err
		}
		return q.Audit(ctx, store.AuditEntry{Actor: actorFrom(ctx, sc), Action: "runtime_orphan.destroy", TargetType: "runtime_orphan",
			TargetID: o.ID.String(), Details: map[string]any{"runtime": o.Runtime, "session_id": o.SessionID, "remove_home": removeHome}})
	})
}

// AdoptOrphan writes the session row of an orphan back from its labels, as
// running, so its owner sees it again. Its owner and organisation must
// still exist, the owner be a member, its template be configured and it
// still run; otherwise the error wraps ErrCannotAdopt and says why. The
// caller checks authz.OrphansManage.
func (m *Manager) AdoptOrphan(ctx context.Context, sc store.Scope, id uuid.UUID) (store.Session, error) {
	o, err := m.st.GetOrphan(ctx, id)
	if err != nil {
		return store.Session{}, err
	}
	sid, err1 := uuid.Parse(o.SessionID)
	owner, err2 := uuid.Parse(o.UserID)
	org, err3 := uuid.Parse(o.OrgID)
	if err := errors.Join(err1, err2, err3); err != nil {
		return store.Session{}, fmt.Errorf("%w: its labels do not name an Atrium session, user and organisation (%s=%q %s=%q %s=%q); destroy it instead",
			ErrCannotAdopt, LabelSession, o.SessionID, LabelUser, o.UserID, LabelOrg, o.OrgID)
	}
	tpl := m.templates[o.Template]
	if tpl == nil || tpl.Runtime != o.Runtime {
		return store.Session{}, fmt.Errorf("%w: its template %q is not configured for runtime %q; add it back to the configuration, or destroy the session", ErrCannotAdopt, o.Template, o.Runtime)
	}
	rt, err := m.runtime(o.Runtime)
	if err != nil {
		return store.Session{}, err
	}
	// The list it was recorded from may be old: adopt only what runs now.
	cctx, cancel := m.callCtx(ctx)
	ins, err := rt.InspectSession(cctx, runtime.InspectRequest{SessionID: o.SessionID, Handle: runtime.Handle{Version: uint32(o.HandleVersion), Data: o.HandleData}})
	cancel()
	if errors.Is(err, runtime.ErrSessionNotFound) {
		return store.Session{}, fmt.Errorf("%w: runtime %q no longer has it", ErrCannotAdopt, o.Runtime)
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("inspect orphaned runtime session %s: %w", o.SessionID, err)
	}
	if ins.Status.State != runtime.StateRunning {
		return store.Session{}, fmt.Errorf("%w: it is %s, not running; destroy it instead", ErrCannotAdopt, ins.Status.State)
	}
	var s store.Session
	err = m.st.InTx(ctx, func(q *store.Queries) error {
		s, err = q.AdoptSession(ctx, store.AdoptedSession{
			NewSession: store.NewSession{OrgID: org, UserID: owner, Template: tpl.Name, Runtime: o.Runtime,
				CPUMillis: cpuMillis(tpl.CPU), MemoryBytes: tpl.Memory},
			ID: sid, InstanceID: ins.Status.InstanceID, HandleVersion: int32(o.HandleVersion), HandleData: o.HandleData})
		switch {
		case errors.Is(err, store.ErrOwnerNotMember):
			return fmt.Errorf("%w: user %s is not a member of organisation %s, or one of them no longer exists; add the user to the organisation first, or destroy the session", ErrCannotAdopt, owner, org)
		case errors.Is(err, store.ErrSessionExists):
			return fmt.Errorf("%w: the database has session %s already (deleted); destroy the runtime's copy instead", ErrCannotAdopt, sid)
		case err != nil:
			return err
		}
		// The tunnel check dials only the addresses the runtime reports.
		if s, err = q.SetSessionAddresses(ctx, system, s.ID, ins.Status.Addresses); err != nil {
			return err
		}
		if err := q.DeleteOrphan(ctx, o.ID); err != nil {
			return err
		}
		if err := q.Audit(ctx, store.AuditEntry{Actor: actorFrom(ctx, sc), Action: "runtime_orphan.adopt", TargetType: "runtime_orphan",
			TargetID: o.ID.String(), Details: map[string]any{"runtime": o.Runtime, "session_id": o.SessionID}}); err != nil {
			return err
		}
		return auditSession(ctx, q, actorFrom(ctx, sc), s, "session.adopt", map[string]any{"runtime": o.Runtime})
	})
	if err != nil {
		return store.Session{}, err
	}
	m.log.Info("adopted orphaned runtime session", "runtime", o.Runtime, "session", s.ID, "user", owner, "org", org)
	m.wake()
	return s, nil
}
