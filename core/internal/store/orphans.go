package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Orphan is a runtime session carrying this installation's labels that the
// database does not know, or has deleted. It is kept running until a
// platform admin adopts or destroys it.
type Orphan struct {
	ID        uuid.UUID `db:"id" json:"id"`
	Runtime   string    `db:"runtime" json:"runtime"`
	SessionID string    `db:"session_id" json:"session_id"`
	// UserID, OrgID and Template are the runtime's labels, unchecked.
	UserID        string            `db:"user_id" json:"user_id"`
	OrgID         string            `db:"org_id" json:"org_id"`
	Template      string            `db:"template" json:"template"`
	Labels        map[string]string `db:"labels" json:"labels"`
	HandleVersion int32             `db:"handle_version" json:"-"`
	HandleData    []byte            `db:"handle_data" json:"-"`
	RuntimeState  string            `db:"runtime_state" json:"runtime_state"`
	FirstSeen     time.Time         `db:"first_seen" json:"first_seen"`
	LastSeen      time.Time         `db:"last_seen" json:"last_seen"`
}

const orphanCols = `id, runtime, session_id, user_id, org_id, template, labels, handle_version, handle_data,
	runtime_state, first_seen, last_seen`

// RecordOrphan notes that the runtime still has o, and reports whether it
// is new (first seen now), so the caller reports it once.
func (q *Queries) RecordOrphan(ctx context.Context, o Orphan) (Orphan, bool, error) {
	if o.Labels == nil {
		o.Labels = map[string]string{}
	}
	rows, _ := q.db.Query(ctx, `INSERT INTO runtime_orphans AS o
		(runtime, session_id, user_id, org_id, template, labels, handle_version, handle_data, runtime_state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (runtime, session_id) DO UPDATE SET last_seen = now(), runtime_state = EXCLUDED.runtime_state,
			handle_version = EXCLUDED.handle_version, handle_data = EXCLUDED.handle_data
		RETURNING `+orphanCols+`, (xmax = 0) AS inserted`,
		o.Runtime, o.SessionID, o.UserID, o.OrgID, o.Template, o.Labels, o.HandleVersion, o.HandleData, o.RuntimeState)
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[recordedOrphan])
	if err != nil {
		return Orphan{}, false, classify(err, "record orphaned runtime session "+o.SessionID)
	}
	return out.Orphan, out.Inserted, nil
}

// recordedOrphan is RecordOrphan's row: the orphan, and whether the
// upsert inserted it.
type recordedOrphan struct {
	Orphan
	Inserted bool `db:"inserted"`
}

// ForgetOrphans removes the records of runtime rt's orphans that it no
// longer lists (seen holds the session ids it does list): someone removed
// them, or they were adopted or destroyed.
func (q *Queries) ForgetOrphans(ctx context.Context, rt string, seen []string) error {
	if seen == nil {
		seen = []string{}
	}
	_, err := q.db.Exec(ctx, `DELETE FROM runtime_orphans WHERE runtime = $1 AND NOT (session_id = ANY($2::text[]))`, rt, seen)
	return classify(err, "forget orphaned sessions of runtime "+rt)
}

// ListOrphans lists every recorded orphan, oldest first. It is not scoped:
// only platform admins may call it (authz.OrphansManage).
func (q *Queries) ListOrphans(ctx context.Context) ([]Orphan, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+orphanCols+` FROM runtime_orphans ORDER BY first_seen, id`)
	os, err := pgx.CollectRows(rows, pgx.RowToStructByName[Orphan])
	return os, classify(err, "list orphaned runtime sessions")
}

// GetOrphan returns one recorded orphan, or ErrNotFound.
func (q *Queries) GetOrphan(ctx context.Context, id uuid.UUID) (Orphan, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+orphanCols+` FROM runtime_orphans WHERE id = $1`, id)
	o, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Orphan])
	return o, classify(err, "read orphaned runtime session "+id.String())
}

// DeleteOrphan removes an orphan's record, once it is adopted or destroyed.
func (q *Queries) DeleteOrphan(ctx context.Context, id uuid.UUID) error {
	_, err := q.db.Exec(ctx, `DELETE FROM runtime_orphans WHERE id = $1`, id)
	return classify(err, "forget orphaned runtime session "+id.String())
}

// AdoptedSession is what AdoptSession needs to write a running session's
// row back from its runtime's labels.
type AdoptedSession struct {
	NewSession
	ID            uuid.UUID
	InstanceID    string
	HandleVersion int32
	HandleData    []byte
}

// ErrSessionExists means a session to adopt already has a row (a deleted
// one: the runtime still runs what the database has removed).
var ErrSessionExists = errors.New("the database already has a session with this id")

// AdoptSession writes the row of a session that runs in its runtime but is
// missing from the database, as running, with its lifecycle events. The
// owner must still exist and be a member of the organisation
// (ErrOwnerNotMember otherwise).
func (q *Queries) AdoptSession(ctx context.Context, a AdoptedSession) (Session, error) {
	var s Session
	err := q.InTx(ctx, func(q *Queries) error {
		var exists bool
		if err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1)`, a.ID).Scan(&exists); err != nil {
			return classify(err, "look for session "+a.ID.String())
		}
		if exists {
			return fmt.Errorf("adopt session %s: %w", a.ID, ErrSessionExists)
		}
		rows, _ := q.db.Query(ctx, `INSERT INTO sessions AS s (id, org_id, user_id, template, runtime, cpu_millis, memory_bytes)
			SELECT $1, m.org_id, m.user_id, $4, $5, $6, $7 FROM memberships m
			WHERE m.org_id = $2 AND m.user_id = $3 FOR SHARE
			RETURNING `+sessionCols,
			a.ID, a.OrgID, a.UserID, a.Template, a.Runtime, a.CPUMillis, a.MemoryBytes)
		var err error
		if s, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session]); errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("adopt session %s: %w", a.ID, ErrOwnerNotMember)
		} else if err != nil {
			return classify(err, "adopt session "+a.ID.String())
		}
		if _, err := q.db.Exec(ctx, `INSERT INTO session_events (session_id, from_state, to_state, message) VALUES ($1, NULL, $2, 'adopted from its runtime')`,
			s.ID, string(s.State)); err != nil {
			return classify(err, "record session adoption")
		}
		if _, err := q.SetSessionHandle(ctx, SystemScope(), s.ID, a.InstanceID, a.HandleVersion, a.HandleData); err != nil {
			return err
		}
		for _, to := range []SessionState{StateStarting, StateRunning} {
			if s, err = q.TransitionSession(ctx, SystemScope(), s.ID, Transition{To: to, Message: "adopted from its runtime"}); err != nil {
				return err
			}
		}
		return nil
	})
	return s, err
}
