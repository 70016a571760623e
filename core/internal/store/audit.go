package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Actor is who did something, as recorded in the audit log. The zero Actor
// is the core itself (template sync, reconciler).
type Actor struct {
	UserID   *uuid.UUID `db:"actor_user_id"`
	APIKeyID *uuid.UUID `db:"actor_api_key_id"`
	IP       string     `db:"ip"`
}

// AuditEntry is one row of the append-only audit log.
type AuditEntry struct {
	// ID and At are set by the database.
	ID int64     `db:"id"`
	At time.Time `db:"at"`
	Actor
	OrgID      *uuid.UUID     `db:"org_id"`
	Action     string         `db:"action"` // e.g. "org.create", "session.delete"
	TargetType string         `db:"target_type"`
	TargetID   string         `db:"target_id"`
	Details    map[string]any `db:"details"`
}

// AuditFilter narrows ListAudit; zero fields do not filter.
type AuditFilter struct {
	OrgID       *uuid.UUID
	ActorUserID *uuid.UUID
	Action      string
	TargetType  string
	TargetID    string
	Since       time.Time // inclusive
	Until       time.Time // exclusive
}

const auditCols = `a.id, a.at, a.actor_user_id, a.actor_api_key_id, coalesce(host(a.ip), '') AS ip,
	a.org_id, a.action, a.target_type, a.target_id, a.details`

// Audit appends e to the audit log. Call it on the Queries InTx hands out,
// so the entry and the change it records commit or roll back together.
func (q *Queries) Audit(ctx context.Context, e AuditEntry) error {
	if e.Action == "" {
		return fmt.Errorf("write audit entry: %w: empty action", ErrInvalid)
	}
	_, err := q.db.Exec(ctx, `INSERT INTO audit_log
		(actor_user_id, actor_api_key_id, ip, org_id, action, target_type, target_id, details)
		VALUES ($1, $2, $3::inet, $4, $5, $6, $7, coalesce($8::jsonb, '{}'))`,
		e.UserID, e.APIKeyID, nullIfEmpty(e.IP), e.OrgID, e.Action, e.TargetType, e.TargetID, e.Details)
	return classify(err, "write audit entry "+e.Action)
}

// ListAudit lists audit entries newest first. Platform admins see all;
// others see the entries of organisations they administer and their own
// actions.
func (q *Queries) ListAudit(ctx context.Context, sc Scope, f AuditFilter, p Page) ([]AuditEntry, string, error) {
	var before int64
	if _, err := decodeCursor(p.Cursor, &before); err != nil {
		return nil, "", err
	}
	limit := p.limit()
	var since, until *time.Time
	if !f.Since.IsZero() {
		since = &f.Since
	}
	if !f.Until.IsZero() {
		until = &f.Until
	}
	rows, _ := q.db.Query(ctx, `SELECT `+auditCols+` FROM audit_log a
		WHERE ($1::bool OR a.org_id = ANY($2::uuid[]) OR a.actor_user_id = $3::uuid)
		  AND ($4::bigint = 0 OR a.id < $4)
		  AND ($5::uuid IS NULL OR a.org_id = $5)
		  AND ($6::uuid IS NULL OR a.actor_user_id = $6)
		  AND ($7 = '' OR a.action = $7)
		  AND ($8 = '' OR a.target_type = $8)
		  AND ($9 = '' OR a.target_id = $9)
		  AND ($10::timestamptz IS NULL OR a.at >= $10)
		  AND ($11::timestamptz IS NULL OR a.at < $11)
		ORDER BY a.id DESC LIMIT $12`,
		sc.PlatformAdmin, sc.adminOrgIDs(), sc.UserID, before,
		f.OrgID, f.ActorUserID, f.Action, f.TargetType, f.TargetID, since, until, limit+1)
	es, err := pgx.CollectRows(rows, pgx.RowToStructByName[AuditEntry])
	if err != nil {
		return nil, "", classify(err, "list audit log")
	}
	es, next := trimPage(es, limit, func(e AuditEntry) any { return e.ID })
	return es, next, nil
}
