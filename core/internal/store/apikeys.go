package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// APIKey is a revocable, expiring credential for scripts. The secret is
// shown once by the caller; the store keeps its hash, and the prefix finds
// the row.
type APIKey struct {
	ID         uuid.UUID  `db:"id"`
	Prefix     string     `db:"prefix"`
	Hash       []byte     `db:"hash" json:"-"`
	UserID     uuid.UUID  `db:"user_id"`
	OrgID      *uuid.UUID `db:"org_id"`
	Name       string     `db:"name"`
	Scopes     []string   `db:"scopes"`
	ExpiresAt  *time.Time `db:"expires_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
	CreatedAt  time.Time  `db:"created_at"`
}

// NewAPIKey is what CreateAPIKey needs.
type NewAPIKey struct {
	Prefix string
	Hash   []byte
	UserID uuid.UUID
	// OrgID limits the key to one organisation; nil for all of the user's.
	OrgID     *uuid.UUID
	Name      string
	Scopes    []string
	ExpiresAt *time.Time
}

const apiKeyCols = `k.id, k.prefix, k.hash, k.user_id, k.org_id, k.name, k.scopes, k.expires_at, k.last_used_at, k.revoked_at, k.created_at`

// apiKeyVisible: the owner, platform admins, and admins of the key's
// organisation. $1 platform admin, $2 admin org ids, $3 self.
const apiKeyVisible = `($1::bool OR k.user_id = $3::uuid OR k.org_id = ANY($2::uuid[]))`

func apiKeyArgs(sc Scope) []any { return []any{sc.PlatformAdmin, sc.adminOrgIDs(), sc.UserID} }

// CreateAPIKey stores a key. A taken prefix is ErrConflict: generate
// another.
func (q *Queries) CreateAPIKey(ctx context.Context, n NewAPIKey) (APIKey, error) {
	scopes := n.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	rows, _ := q.db.Query(ctx, `INSERT INTO api_keys AS k (prefix, hash, user_id, org_id, name, scopes, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+apiKeyCols,
		n.Prefix, n.Hash, n.UserID, n.OrgID, n.Name, scopes, n.ExpiresAt)
	k, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[APIKey])
	return k, classify(err, "create API key")
}

// ListAPIKeys lists a user's keys (revoked ones included, newest first)
// that the caller can see.
func (q *Queries) ListAPIKeys(ctx context.Context, sc Scope, userID uuid.UUID) ([]APIKey, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+apiKeyCols+` FROM api_keys k
		WHERE `+apiKeyVisible+` AND k.user_id = $4 ORDER BY k.created_at DESC, k.id DESC`,
		append(apiKeyArgs(sc), userID)...)
	ks, err := pgx.CollectRows(rows, pgx.RowToStructByName[APIKey])
	return ks, classify(err, "list API keys")
}

// RevokeAPIKey revokes a key the caller can see. Revoking twice is
// harmless and returns the key as it is.
func (q *Queries) RevokeAPIKey(ctx context.Context, sc Scope, id uuid.UUID) (APIKey, error) {
	rows, _ := q.db.Query(ctx, `UPDATE api_keys k SET revoked_at = coalesce(k.revoked_at, now())
		WHERE `+apiKeyVisible+` AND k.id = $4 RETURNING `+apiKeyCols,
		append(apiKeyArgs(sc), id)...)
	k, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[APIKey])
	return k, classify(err, "revoke API key")
}

// TouchAPIKey records that a key was just used.
func (q *Queries) TouchAPIKey(ctx context.Context, id uuid.UUID) error {
	tag, err := q.db.Exec(ctx, `UPDATE api_keys SET last_used_at = now() WHERE id = $1`, id)
	if err != nil {
		return classify(err, "touch API key")
	}
	return notFoundIfNone(tag.RowsAffected(), "touch API key")
}
