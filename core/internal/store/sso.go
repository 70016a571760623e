package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The queries below serve single sign-on (core/internal/sso): applying an
// auth block's group mapping at login. They are unscoped, like the other
// login queries, because nobody is authenticated yet; the mapping in the
// config is the authority.

// MappedMembership is a user's membership and who granted it.
type MappedMembership struct {
	OrgID uuid.UUID `db:"org_id"`
	Role  Role      `db:"role"`
	// Source is "" for memberships granted by a person, "auth:NAME" for
	// those an auth block's group mapping granted.
	Source string `db:"source"`
}

// UserMemberships lists every membership of a user with its source.
func (q *Queries) UserMemberships(ctx context.Context, userID uuid.UUID) ([]MappedMembership, error) {
	rows, _ := q.db.Query(ctx, `SELECT org_id, role, source FROM memberships WHERE user_id = $1 ORDER BY org_id`, userID)
	ms, err := pgx.CollectRows(rows, pgx.RowToStructByName[MappedMembership])
	return ms, classify(err, "list the user's memberships")
}

// PutMappedMembership makes a user a member with role, granted by source.
// It never touches a membership another source granted: then it changes
// nothing and reports false.
func (q *Queries) PutMappedMembership(ctx context.Context, orgID, userID uuid.UUID, role Role, source string) (bool, error) {
	tag, err := q.db.Exec(ctx, `INSERT INTO memberships (org_id, user_id, role, source) VALUES ($1, $2, $3, $4)
		ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role
		WHERE memberships.source = EXCLUDED.source AND memberships.role <> EXCLUDED.role`,
		orgID, userID, string(role), source)
	if err != nil {
		return false, classify(err, "grant mapped membership")
	}
	return tag.RowsAffected() == 1, nil
}

// DeleteMappedMembership removes a membership granted by source; one
// granted otherwise is ErrNotFound.
func (q *Queries) DeleteMappedMembership(ctx context.Context, orgID, userID uuid.UUID, source string) error {
	tag, err := q.db.Exec(ctx, `DELETE FROM memberships WHERE org_id = $1 AND user_id = $2 AND source = $3`, orgID, userID, source)
	if err != nil {
		return classify(err, "remove mapped membership")
	}
	return notFoundIfNone(tag.RowsAffected(), "remove mapped membership")
}

// OrgIDsBySlug resolves organisation slugs; unknown slugs are absent from
// the result.
func (q *Queries) OrgIDsBySlug(ctx context.Context, slugs []string) (map[string]uuid.UUID, error) {
	rows, _ := q.db.Query(ctx, `SELECT slug, id FROM organisations WHERE slug = ANY($1)`, slugs)
	out := map[string]uuid.UUID{}
	var slug string
	var id uuid.UUID
	_, err := pgx.ForEachRow(rows, []any{&slug, &id}, func() error {
		out[slug] = id
		return nil
	})
	return out, classify(err, "resolve organisation slugs")
}

// SetMappedPlatformAdmin grants the platform admin flag on behalf of
// source, or withdraws it when source granted it. A flag a person granted
// is never withdrawn here. It reports whether the user changed.
func (q *Queries) SetMappedPlatformAdmin(ctx context.Context, userID uuid.UUID, admin bool, source string) (bool, error) {
	var sql string
	if admin {
		sql = `UPDATE users SET platform_admin = true, platform_admin_source = $2, updated_at = now()
			WHERE id = $1 AND NOT platform_admin`
	} else {
		sql = `UPDATE users SET platform_admin = false, platform_admin_source = '', updated_at = now()
			WHERE id = $1 AND platform_admin AND platform_admin_source = $2`
	}
	tag, err := q.db.Exec(ctx, sql, userID, source)
	if err != nil {
		return false, classify(err, fmt.Sprintf("set platform admin (%s)", source))
	}
	return tag.RowsAffected() == 1, nil
}
