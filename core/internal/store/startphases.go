package store

import (
	"context"

	"github.com/google/uuid"
)

// MaxStartMessage is the longest start message the store keeps, in
// characters; the database refuses longer ones.
const MaxStartMessage = 200

// SetStartPhase records how far a starting or resuming session has got:
// phase is one of the phases in table session_start_phases, message the
// reporter's words (at most MaxStartMessage characters, already cleaned).
// It changes nothing, and reports false, when the session is in no start,
// is already at a later phase, or already shows this phase and message; so
// reports that arrive late or twice, from any replica, do no harm. Each
// change notifies every replica's watcher.
func (q *Queries) SetStartPhase(ctx context.Context, sc Scope, id uuid.UUID, phase, message string) (bool, error) {
	tag, err := q.db.Exec(ctx, `UPDATE sessions s SET start_phase = $6, start_message = $7, start_phase_at = now()
		WHERE `+sessionVisible+` AND s.id = $5 AND s.state IN ('starting', 'resuming')
		  AND (s.start_phase IS NULL OR
		       (SELECT rank FROM session_start_phases WHERE name = $6) >=
		       (SELECT rank FROM session_start_phases WHERE name = s.start_phase))
		  AND (s.start_phase IS DISTINCT FROM $6 OR s.start_message <> $7)`,
		append(sessionArgs(sc), id, phase, message)...)
	if err != nil {
		return false, classify(err, "set start phase")
	}
	return tag.RowsAffected() == 1, nil
}
