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
