package session

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// watchEvents follows a runtime's event stream for as long as ctx lives,
// through plugin restarts. A runtime without events (ErrUnsupported) is
// left to the periodic resync until its plugin restarts, perhaps as a
// newer version.
func (m *Manager) watchEvents(ctx context.Context, name string) {
	backoff := time.Second
	for ctx.Err() == nil {
		rt, err := m.plugins.Runtime(name)
		if err == nil {
			err = rt.WatchEvents(ctx, func(e runtime.Event) error {
				backoff = time.Second
				m.onEvent(ctx, name, e)
				return nil
			})
		}
		if ctx.Err() != nil {
			return
		}
		wait := time.After(backoff)
		if errors.Is(err, connect.ErrUnsupported) {
			wait = nil // until the plugin restarts
		} else {
			m.log.Debug("runtime event stream ended; reconnecting", "runtime", name, "error", err, "retry_in", backoff)
			backoff = min(backoff*2, m.opts.ResyncInterval)
		}
		select {
		case <-ctx.Done():
			return
		case <-m.restarted[name]:
		case <-wait:
		}
	}
}

// onEvent settles a session whose process the runtime saw end: a running
// session whose container exited fails with the runtime's message; a
// hibernated one that is stopped is as it should be.
func (m *Manager) onEvent(ctx context.Context, name string, e runtime.Event) {
	id, err := uuid.Parse(e.SessionID)
	if err != nil {
		return
	}
	s, err := m.st.GetSession(ctx, system, id)
	if err != nil || s.Runtime != name || s.State != store.StateRunning {
		return
	}
	if m.settle(ctx, s, e.Status, "while it ran") {
		m.wake()
	}
}
