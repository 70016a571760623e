package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// CreateLoginAttempt stores an auth plugin's state across its redirect to
// the identity provider and returns the id to carry through the redirect.
func (q *Queries) CreateLoginAttempt(ctx context.Context, plugin string, state []byte, expiresAt time.Time) (uuid.UUID, error) {
	var id uuid.UUID
	err := q.db.QueryRow(ctx, `INSERT INTO login_attempts (plugin, state, expires_at) VALUES ($1, $2, $3) RETURNING id`,
		plugin, state, expiresAt).Scan(&id)
	return id, classify(err, "create login attempt")
}

// ConsumeLoginAttempt returns an attempt's state and deletes it in the same
// statement, so a callback can be used once. Unknown, expired, already used
// or another plugin's attempt: ErrNotFound.
func (q *Queries) ConsumeLoginAttempt(ctx context.Context, id uuid.UUID, plugin string) ([]byte, error) {
	var state []byte
	err := q.db.QueryRow(ctx, `DELETE FROM login_attempts WHERE id = $1 AND plugin = $2 AND expires_at > now() RETURNING state`,
		id, plugin).Scan(&state)
	return state, classify(err, "consume login attempt")
}
