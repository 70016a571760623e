package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// SessionState is a session's place in its lifecycle. The allowed changes
// live only in the database (table session_transitions), which refuses all
// others; SessionTransitions reads them for code that needs to plan.
type SessionState string

// Session states.
const (
	StatePending     SessionState = "pending"
	StateStarting    SessionState = "starting"
	StateRunning     SessionState = "running"
	StateHibernating SessionState = "hibernating"
	StateHibernated  SessionState = "hibernated"
	StateResuming    SessionState = "resuming"
	StateStopping    SessionState = "stopping"
	StateStopped     SessionState = "stopped"
	StateFailed      SessionState = "failed"
	StateDeleted     SessionState = "deleted" // tombstone
)

// Session is one workspace instance a user runs in an organisation.
type Session struct {
	ID         uuid.UUID    `db:"id"`
	OrgID      uuid.UUID    `db:"org_id"`
	UserID     uuid.UUID    `db:"user_id"`
	Template   string       `db:"template"`
	Runtime    string       `db:"runtime"`
	State      SessionState `db:"state"`
	InstanceID string       `db:"instance_id"`
	// HandleVersion and HandleData are the runtime plugin's opaque,
	// versioned handle from StartSession, given back to RecoverSession.
	HandleVersion int32  `db:"handle_version"`
	HandleData    []byte `db:"handle_data" json:"-"`
	CPUMillis     int64  `db:"cpu_millis"`
	MemoryBytes   int64  `db:"memory_bytes"`
	// SecretsSealed is encrypted by the caller; the store never sees
	// session secrets in the clear.
	SecretsSealed  []byte     `db:"secrets_sealed" json:"-"`
	CreatedAt      time.Time  `db:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at"`
	StartedAt      *time.Time `db:"started_at"`
	LastActivityAt *time.Time `db:"last_activity_at"`
	StoppedAt      *time.Time `db:"stopped_at"`
	Error          string     `db:"error"`
	// StartPhase is how far a start or resume has got (a runtime.Phase
	// name), nil when none is under way; see SetStartPhase.
	StartPhase   *string    `db:"start_phase"`
	StartMessage string     `db:"start_message"`
	StartPhaseAt *time.Time `db:"start_phase_at"`
	// Addresses are the session's own addresses as its runtime last
	// reported them (runtime.Status.Addresses); the core dials a tunnel
	// endpoint only if it matches one. Empty while the session does not run.
	Addresses []string `db:"addresses"`
}

// NewSession is what CreateSession needs.
type NewSession struct {
	OrgID         uuid.UUID
	UserID        uuid.UUID
	Template      string
	Runtime       string
	CPUMillis     int64
	MemoryBytes   int64
	SecretsSealed []byte
}

// SessionFilter narrows ListSessions; zero fields do not filter.
type SessionFilter struct {
	OrgID   *uuid.UUID
	UserID  *uuid.UUID
	States  []SessionState
	Runtime string
}

// Transition asks TransitionSession for a change of state.
type Transition struct {
	// From, when set, makes the change conditional: if the session is in
	// another state the result is ErrStateChanged and nothing changes.
	From SessionState
	To   SessionState
	// Message is recorded in session_events.
	Message string
	// Error is stored on the session when To is failed.
	Error string
}

// SessionEvent is one recorded change of state.
type SessionEvent struct {
	ID        int64         `db:"id"`
	SessionID uuid.UUID     `db:"session_id"`
	At        time.Time     `db:"at"`
	FromState *SessionState `db:"from_state"`
	ToState   SessionState  `db:"to_state"`
	Message   string        `db:"message"`
}

const sessionCols = `s.id, s.org_id, s.user_id, s.template, s.runtime, s.state, s.instance_id, s.handle_version,
	s.handle_data, s.cpu_millis, s.memory_bytes, s.secrets_sealed, s.created_at, s.updated_at, s.started_at,
	s.last_activity_at, s.stopped_at, s.error, s.start_phase, s.start_message, s.start_phase_at, s.addresses`

// sessionVisible: platform admins see all sessions, org admins their
// organisations' sessions, members their own sessions in their
// organisations. $1 platform admin, $2 admin org ids, $3 member org ids,
// $4 self.
const sessionVisible = `($1::bool OR s.org_id = ANY($2::uuid[]) OR (s.org_id = ANY($3::uuid[]) AND s.user_id = $4::uuid))`

func sessionArgs(sc Scope) []any {
	return []any{sc.PlatformAdmin, sc.adminOrgIDs(), sc.orgIDs(), sc.UserID}
}

// canCreateSession mirrors sessionVisible for a session not yet written: the
// caller must be able to see what it creates.
func (sc Scope) canCreateSession(orgID, userID uuid.UUID) bool {
	role, ok := sc.Orgs[orgID]
	return sc.PlatformAdmin || role == RoleOrgAdmin || (ok && userID == sc.UserID)
}

// CreateSession records a session in state pending and its first event.
// An organisation outside the scope, or another user's session for a plain
// member, is ErrNotFound.
func (q *Queries) CreateSession(ctx context.Context, sc Scope, n NewSession) (Session, error) {
	if !sc.canCreateSession(n.OrgID, n.UserID) {
		return Session{}, fmt.Errorf("create session: organisation %w", ErrNotFound)
	}
	var s Session
	err := q.InTx(ctx, func(q *Queries) error {
		// The owner must be a member of the organisation, whoever asks:
		// a session mounts its owner's home volume. The membership row is
		// locked until the transaction ends, so a concurrent removal waits
		// and then sees the session.
		rows, _ := q.db.Query(ctx, `INSERT INTO sessions AS s (org_id, user_id, template, runtime, cpu_millis, memory_bytes, secrets_sealed)
			SELECT m.org_id, m.user_id, $3, $4, $5, $6, $7 FROM memberships m
			WHERE m.org_id = $1 AND m.user_id = $2 FOR SHARE
			RETURNING `+sessionCols,
			n.OrgID, n.UserID, n.Template, n.Runtime, n.CPUMillis, n.MemoryBytes, n.SecretsSealed)
		var err error
		if s, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session]); errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("create session: %w", ErrOwnerNotMember)
		} else if err != nil {
			return classify(err, "create session")
		}
		_, err = q.db.Exec(ctx, `INSERT INTO session_events (session_id, from_state, to_state, message) VALUES ($1, NULL, $2, 'created')`,
			s.ID, string(s.State))
		return classify(err, "record session creation")
	})
	return s, err
}

// GetSession returns a session the caller can see.
func (q *Queries) GetSession(ctx context.Context, sc Scope, id uuid.UUID) (Session, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE `+sessionVisible+` AND s.id = $5`,
		append(sessionArgs(sc), id)...)
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session])
	return s, classify(err, "get session")
}

type sessionCursor struct {
	CreatedAt time.Time `json:"t"`
	ID        uuid.UUID `json:"i"`
}

// ListSessions lists the sessions the caller can see, newest first.
func (q *Queries) ListSessions(ctx context.Context, sc Scope, f SessionFilter, p Page) ([]Session, string, error) {
	var cur sessionCursor
	has, err := decodeCursor(p.Cursor, &cur)
	if err != nil {
		return nil, "", err
	}
	limit := p.limit()
	states := make([]string, len(f.States))
	for i, st := range f.States {
		states[i] = string(st)
	}
	args := append(sessionArgs(sc), f.OrgID, f.UserID, states, f.Runtime, has, cur.CreatedAt, cur.ID, limit+1)
	rows, _ := q.db.Query(ctx, `SELECT `+sessionCols+` FROM sessions s
		WHERE `+sessionVisible+`
		  AND ($5::uuid IS NULL OR s.org_id = $5)
		  AND ($6::uuid IS NULL OR s.user_id = $6)
		  AND (cardinality($7::text[]) = 0 OR s.state = ANY($7::text[]))
		  AND ($8 = '' OR s.runtime = $8)
		  AND (NOT $9::bool OR (s.created_at, s.id) < ($10::timestamptz, $11::uuid))
		ORDER BY s.created_at DESC, s.id DESC LIMIT $12`, args...)
	ss, err := pgx.CollectRows(rows, pgx.RowToStructByName[Session])
	if err != nil {
		return nil, "", classify(err, "list sessions")
	}
	ss, next := trimPage(ss, limit, func(s Session) any { return sessionCursor{s.CreatedAt, s.ID} })
	return ss, next, nil
}

// TransitionSession changes a session's state and records the event, in
// one transaction. The database decides what is legal: a change not in
// session_transitions fails with ErrIllegalTransition. Asking for the state
// the session is already in changes nothing and records nothing.
// started_at is set on the first arrival in running, stopped_at on
// stopped and failed.
func (q *Queries) TransitionSession(ctx context.Context, sc Scope, id uuid.UUID, t Transition) (Session, error) {
	var s Session
	err := q.InTx(ctx, func(q *Queries) error {
		var cur SessionState
		err := q.db.QueryRow(ctx, `SELECT s.state FROM sessions s WHERE `+sessionVisible+` AND s.id = $5 FOR UPDATE`,
			append(sessionArgs(sc), id)...).Scan(&cur)
		if err != nil {
			return classify(err, "transition session")
		}
		if t.From != "" && cur != t.From {
			return fmt.Errorf("transition session %s from %s to %s: it is %s: %w", id, t.From, t.To, cur, ErrStateChanged)
		}
		if cur == t.To {
			s, err = q.GetSession(ctx, sc, id)
			return err
		}
		rows, _ := q.db.Query(ctx, `UPDATE sessions s SET state = $2,
				started_at = CASE WHEN $2 = 'running' THEN coalesce(s.started_at, now()) ELSE s.started_at END,
				stopped_at = CASE WHEN $2 IN ('stopped', 'failed') THEN now() ELSE s.stopped_at END,
				error = CASE WHEN $2 = 'failed' THEN $3 ELSE s.error END,
				-- A failed start keeps how far it got; any other change
				-- ends the start the phase belonged to.
				start_phase = CASE WHEN $2 = 'failed' THEN s.start_phase END,
				start_message = CASE WHEN $2 = 'failed' THEN s.start_message ELSE '' END,
				start_phase_at = CASE WHEN $2 = 'failed' THEN s.start_phase_at END,
				-- A session that no longer runs owns no address: the
				-- runtime may give its addresses to another session.
				addresses = CASE WHEN $2 IN ('stopped', 'failed', 'hibernated') THEN '{}' ELSE s.addresses END
			WHERE s.id = $1 RETURNING `+sessionCols, id, string(t.To), t.Error)
		if s, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session]); err != nil {
			return classify(err, fmt.Sprintf("transition session %s from %s to %s", id, cur, t.To))
		}
		_, err = q.db.Exec(ctx, `INSERT INTO session_events (session_id, from_state, to_state, message) VALUES ($1, $2, $3, $4)`,
			id, string(cur), string(t.To), t.Message)
		return classify(err, "record session event")
	})
	return s, err
}

// SetSessionHandle stores the runtime's instance id and opaque handle after
// StartSession, for RecoverSession after a restart.
func (q *Queries) SetSessionHandle(ctx context.Context, sc Scope, id uuid.UUID, instanceID string, version int32, data []byte) (Session, error) {
	rows, _ := q.db.Query(ctx, `UPDATE sessions s SET instance_id = $6, handle_version = $7, handle_data = $8
		WHERE `+sessionVisible+` AND s.id = $5 RETURNING `+sessionCols,
		append(sessionArgs(sc), id, instanceID, version, data)...)
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session])
	return s, classify(err, "set session handle")
}

// maxSessionAddresses bounds what a runtime may report as one session's
// addresses; the column's CHECK says the same.
const maxSessionAddresses = 16

// SetSessionAddresses records the addresses the runtime reported as the
// session's own (runtime.Status.Addresses), which every replica checks
// tunnel endpoints against.
func (q *Queries) SetSessionAddresses(ctx context.Context, sc Scope, id uuid.UUID, addresses []string) (Session, error) {
	if len(addresses) > maxSessionAddresses {
		return Session{}, fmt.Errorf("set session addresses: the runtime reported %d addresses for session %s, more than %d: %w", len(addresses), id, maxSessionAddresses, ErrInvalid)
	}
	if addresses == nil {
		addresses = []string{}
	}
	rows, _ := q.db.Query(ctx, `UPDATE sessions s SET addresses = $6
		WHERE `+sessionVisible+` AND s.id = $5 RETURNING `+sessionCols,
		append(sessionArgs(sc), id, addresses)...)
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session])
	return s, classify(err, "set session addresses")
}

// TouchSessionActivity records user activity, which idle culling reads.
func (q *Queries) TouchSessionActivity(ctx context.Context, sc Scope, id uuid.UUID) error {
	tag, err := q.db.Exec(ctx, `UPDATE sessions s SET last_activity_at = now() WHERE `+sessionVisible+` AND s.id = $5`,
		append(sessionArgs(sc), id)...)
	if err != nil {
		return classify(err, "touch session")
	}
	return notFoundIfNone(tag.RowsAffected(), "touch session")
}

// SessionEvents lists a visible session's changes of state, oldest first.
func (q *Queries) SessionEvents(ctx context.Context, sc Scope, id uuid.UUID) ([]SessionEvent, error) {
	if _, err := q.GetSession(ctx, sc, id); err != nil {
		return nil, err
	}
	rows, _ := q.db.Query(ctx, `SELECT id, session_id, at, from_state, to_state, message
		FROM session_events WHERE session_id = $1 ORDER BY id`, id)
	es, err := pgx.CollectRows(rows, pgx.RowToStructByName[SessionEvent])
	return es, classify(err, "list session events")
}

// SessionTransitions returns the allowed changes of state, from the one
// table that defines them, so the lifecycle code plans with the same rules
// the database enforces.
func (q *Queries) SessionTransitions(ctx context.Context) (map[SessionState][]SessionState, error) {
	rows, _ := q.db.Query(ctx, `SELECT from_state, to_state FROM session_transitions ORDER BY from_state, to_state`)
	out := map[SessionState][]SessionState{}
	var from, to string
	_, err := pgx.ForEachRow(rows, []any{&from, &to}, func() error {
		out[SessionState(from)] = append(out[SessionState(from)], SessionState(to))
		return nil
	})
	return out, classify(err, "load session transitions")
}
