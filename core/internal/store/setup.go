package store

import (
	"context"
	"time"
)

// CreateSetupToken stores the hash of a one-time setup token, which lets
// whoever holds the token create the first admin until expiresAt.
func (q *Queries) CreateSetupToken(ctx context.Context, hash []byte, expiresAt time.Time) error {
	_, err := q.db.Exec(ctx, `INSERT INTO setup_tokens (hash, expires_at) VALUES ($1, $2)`, hash, expiresAt)
	return classify(err, "create setup token")
}

// ConsumeSetupToken checks a presented token and, when it is known and
// unexpired, deletes every setup token: the first admin is created once.
// Concurrent setups are serialised by a transaction-level advisory lock, so
// call it inside InTx, then check CountUsers and create the admin in the
// same transaction. An unknown, expired or used token is ErrNotFound.
func (q *Queries) ConsumeSetupToken(ctx context.Context, hash []byte) error {
	if _, err := q.db.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('atrium.setup', 0))`); err != nil {
		return classify(err, "lock first-start setup")
	}
	var ok bool
	err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM setup_tokens WHERE hash = $1 AND expires_at > now())`, hash).Scan(&ok)
	if err != nil {
		return classify(err, "check setup token")
	}
	if !ok {
		return classify(errNoRows, "check setup token")
	}
	_, err = q.db.Exec(ctx, `DELETE FROM setup_tokens`)
	return classify(err, "consume setup tokens")
}
