package store

import (
	"context"
	"fmt"
	"time"

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

// RefreshClaim is a login session claimed for a refresh through its auth
// plugin.
type RefreshClaim struct {
	ID                uuid.UUID `db:"id"`
	UserID            uuid.UUID `db:"user_id"`
	AuthPlugin        string    `db:"auth_plugin"`
	PluginSessionData []byte    `db:"plugin_session_data"`
}

// ClaimLoginSessionsForRefresh claims up to limit live, refreshable login
// sessions opened through one of authNames and not refreshed (or opened)
// since before, oldest first, by setting their refreshed_at to now. The
// claim is atomic and skips rows another replica holds, so each session is
// refreshed by one core at a time: a refresh token spent twice would be
// refused.
func (q *Queries) ClaimLoginSessionsForRefresh(ctx context.Context, authNames []string, before time.Time, limit int) ([]RefreshClaim, error) {
	rows, _ := q.db.Query(ctx, `UPDATE login_sessions s SET refreshed_at = now()
		WHERE s.id IN (
			SELECT id FROM login_sessions
			WHERE auth_plugin = ANY($1) AND refreshable AND revoked_at IS NULL AND expires_at > now()
				AND coalesce(refreshed_at, created_at) < $2
			ORDER BY coalesce(refreshed_at, created_at) LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING s.id, s.user_id, s.auth_plugin, s.plugin_session_data`, authNames, before, limit)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[RefreshClaim])
	return out, classify(err, "claim login sessions for refresh")
}

// StoreLoginSessionRefresh keeps a refresh's new plugin data (when not
// empty) and, when expiresAt is set and earlier, ends the session then. A
// session revoked meanwhile is ErrNotFound.
func (q *Queries) StoreLoginSessionRefresh(ctx context.Context, id uuid.UUID, data []byte, expiresAt time.Time) error {
	var exp *time.Time
	if !expiresAt.IsZero() {
		exp = &expiresAt
	}
	tag, err := q.db.Exec(ctx, `UPDATE login_sessions SET
			plugin_session_data = CASE WHEN length($2::bytea) > 0 THEN $2::bytea ELSE plugin_session_data END,
			expires_at = least(expires_at, coalesce($3, expires_at))
		WHERE id = $1 AND revoked_at IS NULL`, id, data, exp)
	if err != nil {
		return classify(err, "store login session refresh")
	}
	return notFoundIfNone(tag.RowsAffected(), "store login session refresh")
}

// StopRefreshingLoginSession marks a login session its plugin cannot
// refresh, so it is not claimed again.
func (q *Queries) StopRefreshingLoginSession(ctx context.Context, id uuid.UUID) error {
	_, err := q.db.Exec(ctx, `UPDATE login_sessions SET refreshable = false WHERE id = $1`, id)
	return classify(err, "stop refreshing login session")
}
