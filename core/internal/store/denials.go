package store

import (
	"context"

	"github.com/google/uuid"
)

// Denial is one request refused to a logged-in caller.
type Denial struct {
	UserID uuid.UUID
	// APIKeyID is the key the request used, if any.
	APIKeyID *uuid.UUID
	Method   string
	// Route is the route's pattern (/api/v1/orgs/:org), not the path, so
	// the record holds no other organisation's ids.
	Route  string
	Status int
	IP     string
}

// RecordDenial counts d in its user's current minute and, for the first
// denial of the minute, writes an access.denied audit row, in one
// transaction. It reports the minute's count so far.
func (q *Queries) RecordDenial(ctx context.Context, d Denial) (int, error) {
	var n int
	err := q.InTx(ctx, func(q *Queries) error {
		err := q.db.QueryRow(ctx, `INSERT INTO access_denials AS a (user_id, window_start, last_method, last_route, last_status)
			VALUES ($1, date_trunc('minute', now()), $2, $3, $4)
			ON CONFLICT (user_id, window_start) DO UPDATE
			SET denials = a.denials + 1, last_method = $2, last_route = $3, last_status = $4
			RETURNING denials`, d.UserID, d.Method, d.Route, d.Status).Scan(&n)
		if err != nil {
			return classify(err, "record denied request")
		}
		if n > 1 {
			return nil
		}
		return q.Audit(ctx, AuditEntry{Actor: Actor{UserID: &d.UserID, APIKeyID: d.APIKeyID, IP: d.IP}, Action: "access.denied",
			TargetType: "user", TargetID: d.UserID.String(),
			Details: map[string]any{"method": d.Method, "route": d.Route, "status": d.Status,
				"note": "first denial of this minute; access_denials counts the rest"}})
	})
	return n, err
}

// DeleteOldDenials removes denial counts older than the audit's interest
// in them (a periodic janitor calls it).
func (q *Queries) DeleteOldDenials(ctx context.Context) (int64, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM access_denials WHERE window_start < now() - interval '30 days'`)
	if err != nil {
		return 0, classify(err, "delete old denial counts")
	}
	return tag.RowsAffected(), nil
}
