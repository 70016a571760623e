package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Teardown is a delete asked for a session: it becomes a tombstone once it
// has stopped, and the runtime destroys what is left of it (and the owner's
// home volume when RemoveHome is set).
type Teardown struct {
	SessionID  uuid.UUID
	RemoveHome bool
	Done       bool
}

// RequestTeardown records a delete. Asking again with removeHome widens an
// earlier request and, if that one is done, makes it pending again. Call it
// in the transaction that moves the session towards deleted, so a delete is
// either recorded whole or not at all.
func (q *Queries) RequestTeardown(ctx context.Context, id uuid.UUID, removeHome bool) error {
	_, err := q.db.Exec(ctx, `INSERT INTO session_teardowns AS t (session_id, remove_home) VALUES ($1, $2)
		ON CONFLICT (session_id) DO UPDATE SET remove_home = t.remove_home OR EXCLUDED.remove_home,
			done_at = CASE WHEN EXCLUDED.remove_home AND NOT t.remove_home THEN NULL ELSE t.done_at END`, id, removeHome)
	return classify(err, "record delete of session "+id.String())
}

// GetTeardown returns the session's delete request, or ErrNotFound.
func (q *Queries) GetTeardown(ctx context.Context, id uuid.UUID) (Teardown, error) {
	t := Teardown{SessionID: id}
	err := q.db.QueryRow(ctx, `SELECT remove_home, done_at IS NOT NULL FROM session_teardowns WHERE session_id = $1`, id).
		Scan(&t.RemoveHome, &t.Done)
	return t, classify(err, "read delete request of session "+id.String())
}

// FinishTeardown marks a delete done.
func (q *Queries) FinishTeardown(ctx context.Context, id uuid.UUID) error {
	_, err := q.db.Exec(ctx, `UPDATE session_teardowns SET done_at = now() WHERE session_id = $1`, id)
	return classify(err, "mark delete of session "+id.String()+" done")
}

// PendingTeardowns lists the sessions whose delete is not done, oldest
// request first.
func (q *Queries) PendingTeardowns(ctx context.Context) ([]uuid.UUID, error) {
	rows, _ := q.db.Query(ctx, `SELECT session_id FROM session_teardowns WHERE done_at IS NULL ORDER BY requested_at`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return ids, classify(err, "list pending session deletes")
}

// HomeRemovalPending reports whether a delete that removes the user's home
// volume is not done yet. Admission checks it under the owner's admission
// lock, so no session starts on a volume that is going.
func (q *Queries) HomeRemovalPending(ctx context.Context, userID uuid.UUID) (bool, error) {
	var pending bool
	err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM session_teardowns t JOIN sessions s ON s.id = t.session_id
		WHERE s.user_id = $1 AND t.remove_home AND t.done_at IS NULL)`, userID).Scan(&pending)
	return pending, classify(err, "check for a pending home removal")
}
