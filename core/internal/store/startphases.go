package store

import (
	"context"
	"fmt"

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
// A phase the database does not list is ErrInvalid.
func (q *Queries) SetStartPhase(ctx context.Context, sc Scope, id uuid.UUID, phase, message string) (bool, error) {
	var known, changed bool
	err := q.db.QueryRow(ctx, `WITH p AS (SELECT rank FROM session_start_phases WHERE name = $6),
		u AS (UPDATE sessions s SET start_phase = $6, start_message = $7, start_phase_at = now()
			FROM p
			WHERE `+sessionVisible+` AND s.id = $5 AND s.state IN ('starting', 'resuming')
			  AND (s.start_phase IS NULL OR p.rank >= (SELECT rank FROM session_start_phases WHERE name = s.start_phase))
			  AND (s.start_phase IS DISTINCT FROM $6 OR s.start_message <> $7)
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM p), EXISTS (SELECT 1 FROM u)`,
		append(sessionArgs(sc), id, phase, message)...).Scan(&known, &changed)
	if err != nil {
		return false, classify(err, "set start phase")
	}
	if !known {
		return false, fmt.Errorf("set start phase: %w: %q is not a start phase", ErrInvalid, phase)
	}
	return changed, nil
}
