package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Template is a kind of session people can start, as configured in HCL.
// The configuration is the source of truth; SyncTemplates mirrors it here so
// sessions, quotas and the UI can refer to templates by name.
type Template struct {
	Name        string
	Workspace   string // workspace plugin
	Runtime     string // runtime plugin
	DisplayName string
	Description string
	CPUMillis   int64 // thousandths of a CPU
	MemoryBytes int64
	PIDs        int64
	// IdleTimeout and MaxLifetime are zero for "none".
	IdleTimeout time.Duration
	MaxLifetime time.Duration
	// Allow says who may use the template, as JSON (schema owned by authz).
	Allow     json.RawMessage
	UpdatedAt time.Time
}

// TemplateSync reports what SyncTemplates changed.
type TemplateSync struct {
	Created []string
	Updated []string
	Deleted []string
}

const templateCols = `name, workspace, runtime, display_name, description, cpu_millis, memory_bytes, pids,
	idle_timeout, max_lifetime, allow, updated_at`

func scanTemplate(row pgx.CollectableRow) (Template, error) {
	var t Template
	var idle, life pgtype.Interval
	err := row.Scan(&t.Name, &t.Workspace, &t.Runtime, &t.DisplayName, &t.Description, &t.CPUMillis,
		&t.MemoryBytes, &t.PIDs, &idle, &life, &t.Allow, &t.UpdatedAt)
	t.IdleTimeout, t.MaxLifetime = fromInterval(idle), fromInterval(life)
	return t, err
}

// ListTemplates lists every template by name. Templates are platform-wide;
// whether a caller may use one is decided from Allow by authz.
func (q *Queries) ListTemplates(ctx context.Context) ([]Template, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+templateCols+` FROM templates ORDER BY name`)
	ts, err := pgx.CollectRows(rows, scanTemplate)
	return ts, classify(err, "list templates")
}

// GetTemplate returns one template.
func (q *Queries) GetTemplate(ctx context.Context, name string) (Template, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+templateCols+` FROM templates WHERE name = $1`, name)
	t, err := pgx.CollectExactlyOneRow(rows, scanTemplate)
	return t, classify(err, "get template "+name)
}

// SyncTemplates makes the templates table equal to ts: it inserts new
// templates, updates changed ones, deletes the ones no longer configured,
// and audits each change as actor, all in one transaction. Unchanged
// templates are left alone and not audited, so restarts stay quiet.
func (q *Queries) SyncTemplates(ctx context.Context, actor Actor, ts []Template) (TemplateSync, error) {
	var res TemplateSync
	err := q.InTx(ctx, func(q *Queries) error {
		// One sync at a time: two replicas starting together would
		// otherwise audit the same change twice.
		if _, err := q.db.Exec(ctx, `LOCK TABLE templates IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return classify(err, "lock templates for sync")
		}
		names := make([]string, 0, len(ts))
		for _, t := range ts {
			names = append(names, t.Name)
			allow := t.Allow
			if len(allow) == 0 {
				allow = json.RawMessage(`{}`)
			}
			var inserted bool
			err := q.db.QueryRow(ctx, `INSERT INTO templates AS t (name, workspace, runtime, display_name, description,
					cpu_millis, memory_bytes, pids, idle_timeout, max_lifetime, allow)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				ON CONFLICT (name) DO UPDATE SET workspace = EXCLUDED.workspace, runtime = EXCLUDED.runtime,
					display_name = EXCLUDED.display_name, description = EXCLUDED.description,
					cpu_millis = EXCLUDED.cpu_millis, memory_bytes = EXCLUDED.memory_bytes, pids = EXCLUDED.pids,
					idle_timeout = EXCLUDED.idle_timeout, max_lifetime = EXCLUDED.max_lifetime,
					allow = EXCLUDED.allow, updated_at = now()
				WHERE (t.workspace, t.runtime, t.display_name, t.description, t.cpu_millis, t.memory_bytes, t.pids,
						t.idle_timeout, t.max_lifetime, t.allow)
					IS DISTINCT FROM (EXCLUDED.workspace, EXCLUDED.runtime, EXCLUDED.display_name, EXCLUDED.description,
						EXCLUDED.cpu_millis, EXCLUDED.memory_bytes, EXCLUDED.pids, EXCLUDED.idle_timeout,
						EXCLUDED.max_lifetime, EXCLUDED.allow)
				RETURNING (xmax = 0)`,
				t.Name, t.Workspace, t.Runtime, t.DisplayName, t.Description, t.CPUMillis, t.MemoryBytes, t.PIDs,
				toInterval(t.IdleTimeout), toInterval(t.MaxLifetime), string(allow)).Scan(&inserted)
			if errors.Is(err, pgx.ErrNoRows) {
				continue // unchanged
			}
			if err != nil {
				return classify(err, "sync template "+t.Name)
			}
			action := "template.update"
			if inserted {
				action = "template.create"
				res.Created = append(res.Created, t.Name)
			} else {
				res.Updated = append(res.Updated, t.Name)
			}
			if err := q.Audit(ctx, AuditEntry{Actor: actor, Action: action, TargetType: "template", TargetID: t.Name,
				Details: map[string]any{"workspace": t.Workspace, "runtime": t.Runtime}}); err != nil {
				return err
			}
		}
		rows, _ := q.db.Query(ctx, `DELETE FROM templates WHERE NOT (name = ANY($1::text[])) RETURNING name`, names)
		deleted, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return classify(err, "delete removed templates")
		}
		slices.Sort(deleted)
		for _, n := range deleted {
			if err := q.Audit(ctx, AuditEntry{Actor: actor, Action: "template.delete", TargetType: "template", TargetID: n}); err != nil {
				return err
			}
		}
		res.Deleted = deleted
		return nil
	})
	if err != nil {
		return TemplateSync{}, fmt.Errorf("sync templates from configuration: %w", err)
	}
	return res, nil
}

func toInterval(d time.Duration) pgtype.Interval {
	if d == 0 {
		return pgtype.Interval{}
	}
	return pgtype.Interval{Microseconds: d.Microseconds(), Valid: true}
}

// fromInterval converts what toInterval stored; days and months only occur
// if someone wrote the table by hand, and count as 24 h and 30 days.
func fromInterval(i pgtype.Interval) time.Duration {
	if !i.Valid {
		return 0
	}
	return time.Duration(i.Microseconds)*time.Microsecond +
		time.Duration(i.Days)*24*time.Hour + time.Duration(i.Months)*30*24*time.Hour
}
