package session

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// locker hands out per-session leases: a PostgreSQL session-level advisory
// lock, so only one core replica calls plugins for a session at a time, and
// an in-process set, because advisory locks are re-entrant on the one
// connection that holds them all.
//
// The locks live on one dedicated connection taken out of the pool, so long
// plugin calls do not pin pool connections. If that connection breaks, the
// server drops every lock at once; each lease's context is then cancelled,
// so the work it guards stops before a peer takes over.
type locker struct {
	pool *pgxpool.Pool

	mu     sync.Mutex
	conn   *pgx.Conn
	gen    context.Context // cancelled when conn is lost
	lost   context.CancelFunc
	leased map[uuid.UUID]bool
	// sweeping: this connection holds the sweeper lock (sweeper.go).
	sweeping bool
}

func newLocker(pool *pgxpool.Pool) *locker {
	return &locker{pool: pool, leased: map[uuid.UUID]bool{}}
}

// lease is held while the work on one session runs.
type lease struct {
	l   *locker
	id  uuid.UUID
	gen context.Context
}

// tryLock returns a lease on the session, or nil when this process or
// another replica already holds one.
func (l *locker) tryLock(ctx context.Context, id uuid.UUID) (*lease, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leased[id] {
		return nil, nil
	}
	if err := l.connect(ctx); err != nil {
		return nil, err
	}
	var ok bool
	err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended('atrium.session.' || $1::text, 0))`, id).Scan(&ok)
	if err != nil {
		l.drop()
		return nil, fmt.Errorf("lock session %s: %w", id, err)
	}
	if !ok {
		return nil, nil
	}
	l.leased[id] = true
	return &lease{l: l, id: id, gen: l.gen}, nil
}

// connect makes sure a live lock connection exists. Called with mu held.
func (l *locker) connect(ctx context.Context) error {
	if l.conn != nil && !l.conn.IsClosed() {
		return nil
	}
	l.drop()
	c, err := l.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect for session locks: %w", err)
	}
	l.conn = c.Hijack()
	l.gen, l.lost = context.WithCancel(context.Background())
	return nil
}

// drop forgets a broken connection: its locks are gone with it, so every
// lease taken on it is cancelled. Called with mu held.
func (l *locker) drop() {
	if l.conn != nil {
		_ = l.conn.Close(context.Background())
		l.conn = nil
	}
	if l.lost != nil {
		l.lost()
		l.lost = nil
	}
	clear(l.leased)
	l.sweeping = false
}

// close releases every lock by closing the connection.
func (l *locker) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.drop()
}

// context returns ctx, cancelled also when the lease's lock is lost.
func (ls *lease) context(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(ls.gen, cancel)
	return ctx, func() { stop(); cancel() }
}

// release unlocks the session. A lease whose connection was lost has
// nothing left to unlock.
func (ls *lease) release() {
	l := ls.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if ls.gen.Err() != nil || l.conn == nil {
		return
	}
	delete(l.leased, ls.id)
	ctx, cancel := context.WithTimeout(context.Background(), lockTimeout)
	defer cancel()
	if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock(hashtextextended('atrium.session.' || $1::text, 0))`, ls.id); err != nil {
		l.drop()
	}
}
