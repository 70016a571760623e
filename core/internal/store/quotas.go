package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// QuotaScope says whether a quota limits an organisation or a user.
type QuotaScope string

// Quota scopes.
const (
	QuotaOrg  QuotaScope = "org"
	QuotaUser QuotaScope = "user"
)

// QuotaTarget names what a quota limits: an organisation, or a user across
// all organisations.
type QuotaTarget struct {
	Scope QuotaScope
	ID    uuid.UUID
}

// Limits are the caps; nil means unlimited.
type Limits struct {
	MaxSessions    *int32
	MaxCPUMillis   *int64
	MaxMemoryBytes *int64
}

// Quota is the stored limits of one target. A target never given limits has
// a Quota with all Limits nil and a zero UpdatedAt.
type Quota struct {
	Target    QuotaTarget
	Limits    Limits
	UpdatedAt time.Time
}

// Usage is what a target's active sessions (those not stopped, failed or
// deleted) consume.
type Usage struct {
	Sessions    int64
	CPUMillis   int64
	MemoryBytes int64
}

// quotaTargetVisible checks that the caller can see the target; ErrNotFound
// otherwise.
func (q *Queries) quotaTargetVisible(ctx context.Context, sc Scope, t QuotaTarget) error {
	switch t.Scope {
	case QuotaOrg:
		_, err := q.GetOrg(ctx, sc, t.ID)
		return err
	case QuotaUser:
		_, err := q.GetUser(ctx, sc, t.ID)
		return err
	}
	return fmt.Errorf("quota: %w: scope %q is neither org nor user", ErrInvalid, t.Scope)
}

// targetColumn is the column of quotas and sessions that holds the target.
func (t QuotaTarget) column() string {
	if t.Scope == QuotaOrg {
		return "org_id"
	}
	return "user_id"
}

// GetQuota returns a visible target's limits.
func (q *Queries) GetQuota(ctx context.Context, sc Scope, t QuotaTarget) (Quota, error) {
	if err := q.quotaTargetVisible(ctx, sc, t); err != nil {
		return Quota{}, err
	}
	out := Quota{Target: t}
	err := q.db.QueryRow(ctx, `SELECT max_sessions, max_cpu_millis, max_memory_bytes, updated_at FROM quotas
		WHERE scope = $1 AND `+t.column()+` = $2`, string(t.Scope), t.ID).
		Scan(&out.Limits.MaxSessions, &out.Limits.MaxCPUMillis, &out.Limits.MaxMemoryBytes, &out.UpdatedAt)
	if err != nil {
		if err := classify(err, "get quota"); !isNotFound(err) {
			return Quota{}, err
		}
	}
	return out, nil
}

// SetQuota replaces a visible target's limits.
func (q *Queries) SetQuota(ctx context.Context, sc Scope, t QuotaTarget, l Limits) (Quota, error) {
	if err := q.quotaTargetVisible(ctx, sc, t); err != nil {
		return Quota{}, err
	}
	col := t.column()
	out := Quota{Target: t}
	err := q.db.QueryRow(ctx, `INSERT INTO quotas (scope, `+col+`, max_sessions, max_cpu_millis, max_memory_bytes)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (`+col+`) WHERE scope = '`+string(t.Scope)+`' DO UPDATE SET max_sessions = EXCLUDED.max_sessions,
			max_cpu_millis = EXCLUDED.max_cpu_millis, max_memory_bytes = EXCLUDED.max_memory_bytes, updated_at = now()
		RETURNING max_sessions, max_cpu_millis, max_memory_bytes, updated_at`,
		string(t.Scope), t.ID, l.MaxSessions, l.MaxCPUMillis, l.MaxMemoryBytes).
		Scan(&out.Limits.MaxSessions, &out.Limits.MaxCPUMillis, &out.Limits.MaxMemoryBytes, &out.UpdatedAt)
	return out, classify(err, "set quota")
}

// LockForAdmission serialises admissions for an organisation and a user
// until the surrounding transaction ends, so two concurrent starts cannot
// both pass a quota check that only one fits. Call it in InTx, then Usage,
// then CreateSession.
func (q *Queries) LockForAdmission(ctx context.Context, orgID, userID uuid.UUID) error {
	// Always organisation first, then user, so two transactions never wait
	// on each other crosswise.
	_, err := q.db.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('atrium.quota.org.' || $1::text, 0)),
		pg_advisory_xact_lock(hashtextextended('atrium.quota.user.' || $2::text, 0))`, orgID, userID)
	return classify(err, "lock quotas for admission")
}

// Usage sums what the target's active sessions consume. Not scoped: it is
// for the admission check, which has already resolved the target.
func (q *Queries) Usage(ctx context.Context, t QuotaTarget) (Usage, error) {
	var u Usage
	err := q.db.QueryRow(ctx, `SELECT count(*), coalesce(sum(s.cpu_millis), 0), coalesce(sum(s.memory_bytes), 0)
		FROM sessions s JOIN session_states st ON st.name = s.state
		WHERE st.active AND s.`+t.column()+` = $1`, t.ID).Scan(&u.Sessions, &u.CPUMillis, &u.MemoryBytes)
	return u, classify(err, "sum session usage")
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
