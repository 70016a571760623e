package session

import (
	"context"
)

// sweeperLock is the advisory lock key of the sweeper: the one replica
// that runs resync and cull each interval. Without it every replica would
// list every runtime and every running session each interval; the
// per-session leases kept their actions single, but not the work.
const sweeperLock = `hashtextextended('atrium.sweeper', 0)`

// sweeper reports whether this core is the sweeper, taking the lock if it
// is free. The lock lives on the lease connection, so a core that dies or
// loses the database frees it and the next replica's tick takes over.
func (l *locker) sweeper(ctx context.Context) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.connect(ctx); err != nil {
		return false
	}
	if l.sweeping {
		return true
	}
	var ok bool
	if err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+sweeperLock+`)`).Scan(&ok); err != nil {
		l.drop()
		return false
	}
	l.sweeping = ok
	return ok
}

// sweeps reports whether this core runs resync and cull now, and logs when
// it becomes the sweeper.
func (m *Manager) sweeps(ctx context.Context) bool {
	ok := m.locks.sweeper(ctx)
	if ok && !m.swept {
		m.log.Info("this core is the sweeper: it runs resync and cull for every replica")
	}
	m.swept = ok
	return ok
}
