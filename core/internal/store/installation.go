package store

import (
	"context"

	"github.com/google/uuid"
)

// InstallationID returns the id of this installation: one database, however
// many core replicas share it.
func (q *Queries) InstallationID(ctx context.Context) (uuid.UUID, error) {
	var id uuid.UUID
	err := q.db.QueryRow(ctx, `SELECT id FROM installation`).Scan(&id)
	return id, classify(err, "read installation id")
}

// ClaimSecretsKeyFingerprint records fingerprint as the installation's
// session secrets key when none is recorded yet, and returns the one
// recorded: equal to fingerprint unless another replica (or an earlier
// start) sealed secrets with another key.
func (q *Queries) ClaimSecretsKeyFingerprint(ctx context.Context, fingerprint string) (string, error) {
	var recorded string
	err := q.db.QueryRow(ctx, `UPDATE installation SET secrets_key_fingerprint = COALESCE(secrets_key_fingerprint, $1)
		RETURNING secrets_key_fingerprint`, fingerprint).Scan(&recorded)
	return recorded, classify(err, "record the session secrets key fingerprint")
}
