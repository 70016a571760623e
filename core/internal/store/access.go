package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/atrium-hq/atrium/core/internal/access"
)

// grantHolds is the rule a live stream's grant must keep meeting, over a
// row g with user_id, org_id, login_session_id and api_key_id: the user is
// active and a member of the organisation, and the credential that asked
// is neither revoked nor gone (an API key also not expired). A login
// session's idle expiry does not end a stream that is in use: the janitor
// deletes expired login sessions, which does.
const grantHolds = `EXISTS (SELECT 1 FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE u.id = g.user_id AND u.status = 'active' AND m.org_id = g.org_id)
	AND (g.login_session_id IS NULL OR EXISTS (SELECT 1 FROM login_sessions l
		WHERE l.id = g.login_session_id AND l.user_id = g.user_id AND l.revoked_at IS NULL))
	AND (g.api_key_id IS NULL OR EXISTS (SELECT 1 FROM api_keys k
		WHERE k.id = g.api_key_id AND k.user_id = g.user_id AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())))
	AND num_nonnulls(g.login_session_id, g.api_key_id) = 1`

// RevokedGrants returns the grants among gs that no longer hold, in one
// query.
func (q *Queries) RevokedGrants(ctx context.Context, gs []access.Grant) ([]access.Grant, error) {
	users, orgs := make([]uuid.UUID, len(gs)), make([]uuid.UUID, len(gs))
	logins, keys := make([]*uuid.UUID, len(gs)), make([]*uuid.UUID, len(gs))
	for i, g := range gs {
		users[i], orgs[i] = g.UserID, g.OrgID
		logins[i], keys[i] = nilIfZero(g.LoginSessionID), nilIfZero(g.APIKeyID)
	}
	rows, _ := q.db.Query(ctx, `SELECT g.i FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[])
		WITH ORDINALITY AS g(user_id, org_id, login_session_id, api_key_id, i)
		WHERE NOT (`+grantHolds+`)`, users, orgs, logins, keys)
	idx, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, classify(err, "check live streams' grants")
	}
	out := make([]access.Grant, 0, len(idx))
	for _, i := range idx {
		out = append(out, gs[i-1])
	}
	return out, nil
}

func nilIfZero(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}
