package session

import (
	"context"
	"time"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// cull stops running sessions idle for longer than their template's
// idle_timeout (idle since the last activity the relay recorded, or since
// the start) or older than its max_lifetime. The audit log records the
// system as the actor and the reason.
func (m *Manager) cull(ctx context.Context) {
	running, err := m.listAll(ctx, store.SessionFilter{States: []store.SessionState{store.StateRunning}})
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("cannot list running sessions to cull", "error", err)
		}
		return
	}
	now := time.Now()
	for _, s := range running {
		tpl := m.Template(s.Template)
		if tpl == nil || s.StartedAt == nil {
			continue
		}
		reason := ""
		last := *s.StartedAt
		if s.LastActivityAt != nil && s.LastActivityAt.After(last) {
			last = *s.LastActivityAt
		}
		switch {
		case tpl.MaxLifetime > 0 && now.Sub(*s.StartedAt) > tpl.MaxLifetime:
			reason = "max_lifetime"
		case tpl.IdleTimeout > 0 && now.Sub(last) > tpl.IdleTimeout:
			reason = "idle_timeout"
		default:
			continue
		}
		err := m.st.InTx(ctx, func(q *store.Queries) error {
			if _, err := q.TransitionSession(ctx, system, s.ID, store.Transition{From: store.StateRunning, To: store.StateStopping,
				Message: "stopped by the system: " + reason}); err != nil {
				return err
			}
			return auditSession(ctx, q, store.Actor{}, s, "session.stop", map[string]any{"reason": reason})
		})
		if err != nil {
			m.log.Debug("cannot cull session", "session", s.ID, "error", err)
			continue
		}
		m.log.Info("stopping session", "session", s.ID, "reason", reason)
		m.wake()
	}
}
