package session

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// teardownSchema records what a delete asked for, which the sessions table
// cannot say: that a session must become a tombstone once it has stopped,
// whether its owner's home volume goes with it, and whether the runtime has
// destroyed everything yet.
//
// It belongs in store's migrations (and its writes in the transaction of
// the delete itself); until then ensureSchema applies it, idempotently,
// under an advisory lock so replicas starting together do not race.
const teardownSchema = `
CREATE TABLE IF NOT EXISTS session_teardowns (
    session_id   uuid        PRIMARY KEY REFERENCES sessions (id),
    remove_home  boolean     NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    done_at      timestamptz
);
CREATE INDEX IF NOT EXISTS session_teardowns_pending_idx ON session_teardowns (requested_at)
    WHERE done_at IS NULL;`

func ensureSchema(ctx context.Context, pool *pgxpool.Pool) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('atrium.session.schema', 0))`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, teardownSchema)
		return err
	})
	if err != nil {
		return fmt.Errorf("create the session_teardowns table: %w; check that the database role may create tables", err)
	}
	return nil
}

// teardown is one pending or finished delete.
type teardown struct {
	RemoveHome bool
	Done       bool
}

// requestTeardown records a delete. Asking again with removeHome widens an
// earlier request and, if that one is done, makes it pending again.
func requestTeardown(ctx context.Context, pool *pgxpool.Pool, id uuid.UUID, removeHome bool) error {
	_, err := pool.Exec(ctx, `INSERT INTO session_teardowns AS t (session_id, remove_home) VALUES ($1, $2)
		ON CONFLICT (session_id) DO UPDATE SET remove_home = t.remove_home OR EXCLUDED.remove_home,
			done_at = CASE WHEN EXCLUDED.remove_home AND NOT t.remove_home THEN NULL ELSE t.done_at END`, id, removeHome)
	if err != nil {
		return fmt.Errorf("record delete of session %s: %w; repeat the delete", id, err)
	}
	return nil
}

// getTeardown returns the session's delete request; ok is false when there
// is none.
func getTeardown(ctx context.Context, pool *pgxpool.Pool, id uuid.UUID) (t teardown, ok bool, err error) {
	err = pool.QueryRow(ctx, `SELECT remove_home, done_at IS NOT NULL FROM session_teardowns WHERE session_id = $1`, id).
		Scan(&t.RemoveHome, &t.Done)
	if err == pgx.ErrNoRows {
		return teardown{}, false, nil
	}
	if err != nil {
		return teardown{}, false, fmt.Errorf("read delete request of session %s: %w", id, err)
	}
	return t, true, nil
}

// finishTeardown marks a delete done.
func finishTeardown(ctx context.Context, pool *pgxpool.Pool, id uuid.UUID) error {
	_, err := pool.Exec(ctx, `UPDATE session_teardowns SET done_at = now() WHERE session_id = $1`, id)
	if err != nil {
		return fmt.Errorf("mark delete of session %s done: %w", id, err)
	}
	return nil
}

// pendingTeardowns lists the sessions whose delete is not done.
func pendingTeardowns(ctx context.Context, pool *pgxpool.Pool) ([]uuid.UUID, error) {
	rows, _ := pool.Query(ctx, `SELECT session_id FROM session_teardowns WHERE done_at IS NULL ORDER BY requested_at`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("list pending session deletes: %w", err)
	}
	return ids, nil
}

// homeRemovalPending reports whether a delete that removes the user's home
// volume is not done yet.
func homeRemovalPending(ctx context.Context, pool *pgxpool.Pool, userID uuid.UUID) (bool, error) {
	var pending bool
	err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM session_teardowns t JOIN sessions s ON s.id = t.session_id
		WHERE s.user_id = $1 AND t.remove_home AND t.done_at IS NULL)`, userID).Scan(&pending)
	if err != nil {
		return false, fmt.Errorf("check for a pending home removal: %w", err)
	}
	return pending, nil
}
