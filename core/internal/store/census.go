package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// SessionCensus is how many sessions are in one state of one template and
// runtime, installation-wide.
type SessionCensus struct {
	State    SessionState `db:"state"`
	Template string       `db:"template"`
	Runtime  string       `db:"runtime"`
	N        int64        `db:"n"`
}

// CountSessions counts the sessions of every organisation by state,
// template and runtime, tombstones (deleted) left out. It reads no tenant
// data beyond counts, for metrics.
func (q *Queries) CountSessions(ctx context.Context) ([]SessionCensus, error) {
	rows, err := q.db.Query(ctx, `SELECT state, template, runtime, count(*) AS n FROM sessions
		WHERE state <> 'deleted' GROUP BY state, template, runtime`)
	if err != nil {
		return nil, classify(err, "count sessions")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[SessionCensus])
	return out, classify(err, "count sessions")
}
