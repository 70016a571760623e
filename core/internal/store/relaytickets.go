package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// RelayTicket is what a relay ticket grants: one connection to one
// session's instance, for one user.
type RelayTicket struct {
	UserID     uuid.UUID
	SessionID  uuid.UUID
	InstanceID string
	ExpiresAt  time.Time
}

// CreateRelayTicket stores the hash of a relay ticket. The database refuses
// tickets that live longer than 30 seconds.
func (q *Queries) CreateRelayTicket(ctx context.Context, hash []byte, t RelayTicket) error {
	_, err := q.db.Exec(ctx, `INSERT INTO relay_tickets (hash, user_id, session_id, instance_id, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, hash, t.UserID, t.SessionID, t.InstanceID, t.ExpiresAt)
	return classify(err, "create relay ticket")
}

// ConsumeRelayTicket deletes the ticket with this hash and returns it, in
// one statement, so of any number of concurrent presentations across
// replicas at most one succeeds. Expiry is judged by the database's clock.
// An unknown, used or expired ticket is ErrNotFound.
func (q *Queries) ConsumeRelayTicket(ctx context.Context, hash []byte) (RelayTicket, error) {
	var t RelayTicket
	err := q.db.QueryRow(ctx, `DELETE FROM relay_tickets WHERE hash = $1 AND expires_at > now()
		RETURNING user_id, session_id, instance_id, expires_at`, hash).Scan(&t.UserID, &t.SessionID, &t.InstanceID, &t.ExpiresAt)
	if err != nil {
		return RelayTicket{}, classify(err, "consume relay ticket")
	}
	return t, nil
}

// DeleteExpiredRelayTickets removes tickets nobody used in time.
func (q *Queries) DeleteExpiredRelayTickets(ctx context.Context) (int64, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM relay_tickets WHERE expires_at <= now()`)
	if err != nil {
		return 0, classify(err, "delete expired relay tickets")
	}
	return tag.RowsAffected(), nil
}
