package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// LoginSession is a browser's logged-in session. The store keeps only
// hashes of its token and CSRF secret.
type LoginSession struct {
	ID                uuid.UUID  `db:"id"`
	TokenHash         []byte     `db:"token_hash" json:"-"`
	CSRFHash          []byte     `db:"csrf_hash" json:"-"`
	UserID            uuid.UUID  `db:"user_id"`
	CreatedAt         time.Time  `db:"created_at"`
	ExpiresAt         time.Time  `db:"expires_at"`
	LastSeenAt        time.Time  `db:"last_seen_at"`
	RevokedAt         *time.Time `db:"revoked_at"`
	IP                string     `db:"ip"`
	UserAgent         string     `db:"user_agent"`
	AuthPlugin        string     `db:"auth_plugin"`
	PluginSessionData []byte     `db:"plugin_session_data" json:"-"`
}

// NewLoginSession is what CreateLoginSession needs.
type NewLoginSession struct {
	TokenHash  []byte
	CSRFHash   []byte
	UserID     uuid.UUID
	ExpiresAt  time.Time
	IP         string // empty when unknown
	UserAgent  string
	AuthPlugin string // empty for built-in password logins
	// PluginSessionData is opaque state the auth plugin keeps for logout
	// or refresh.
	PluginSessionData []byte
}

const loginSessionCols = `s.id, s.token_hash, s.csrf_hash, s.user_id, s.created_at, s.expires_at, s.last_seen_at,
	s.revoked_at, coalesce(host(s.ip), '') AS ip, s.user_agent, s.auth_plugin, s.plugin_session_data`

// CreateLoginSession stores a new login session.
func (q *Queries) CreateLoginSession(ctx context.Context, n NewLoginSession) (LoginSession, error) {
	rows, _ := q.db.Query(ctx, `INSERT INTO login_sessions AS s
		(token_hash, csrf_hash, user_id, expires_at, ip, user_agent, auth_plugin, plugin_session_data)
		VALUES ($1, $2, $3, $4, $5::inet, $6, $7, $8) RETURNING `+loginSessionCols,
		n.TokenHash, n.CSRFHash, n.UserID, n.ExpiresAt, nullIfEmpty(n.IP), n.UserAgent, n.AuthPlugin, n.PluginSessionData)
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[LoginSession])
	return s, classify(err, "create login session")
}

// LoginSessionByTokenHash finds a live login session: not revoked, not
// expired, and belonging to an active user. Anything else is ErrNotFound.
func (q *Queries) LoginSessionByTokenHash(ctx context.Context, tokenHash []byte) (LoginSession, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+loginSessionCols+` FROM login_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.status = 'active'`, tokenHash)
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[LoginSession])
	return s, classify(err, "find login session")
}

// TouchLoginSession records activity and, when expiresAt is not zero,
// slides the expiry to it.
func (q *Queries) TouchLoginSession(ctx context.Context, id uuid.UUID, expiresAt time.Time) error {
	var exp *time.Time
	if !expiresAt.IsZero() {
		exp = &expiresAt
	}
	tag, err := q.db.Exec(ctx, `UPDATE login_sessions SET last_seen_at = now(), expires_at = coalesce($2, expires_at)
		WHERE id = $1 AND revoked_at IS NULL`, id, exp)
	if err != nil {
		return classify(err, "touch login session")
	}
	return notFoundIfNone(tag.RowsAffected(), "touch login session")
}

// RevokeLoginSession ends one login session (logout).
func (q *Queries) RevokeLoginSession(ctx context.Context, id uuid.UUID) error {
	tag, err := q.db.Exec(ctx, `UPDATE login_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, id)
	if err != nil {
		return classify(err, "revoke login session")
	}
	return notFoundIfNone(tag.RowsAffected(), "revoke login session")
}

// RevokeUserLoginSessions ends every live login session of a user (on
// suspension or password change) and says how many it ended.
func (q *Queries) RevokeUserLoginSessions(ctx context.Context, userID uuid.UUID) (int64, error) {
	tag, err := q.db.Exec(ctx, `UPDATE login_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID)
	if err != nil {
		return 0, classify(err, "revoke login sessions of user")
	}
	return tag.RowsAffected(), nil
}

// RevokeOtherLoginSessions ends every live login session of a user but
// keep (after a password change, the other browsers must log in again).
func (q *Queries) RevokeOtherLoginSessions(ctx context.Context, userID, keep uuid.UUID) (int64, error) {
	tag, err := q.db.Exec(ctx, `UPDATE login_sessions SET revoked_at = now()
		WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL`, userID, keep)
	if err != nil {
		return 0, classify(err, "revoke other login sessions of user")
	}
	return tag.RowsAffected(), nil
}

// DeleteExpiredLogins removes login sessions and login attempts that
// expired before the given time; a periodic janitor calls it.
func (q *Queries) DeleteExpiredLogins(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := q.InTx(ctx, func(q *Queries) error {
		a, err := q.db.Exec(ctx, `DELETE FROM login_sessions WHERE expires_at < $1`, before)
		if err != nil {
			return classify(err, "delete expired login sessions")
		}
		b, err := q.db.Exec(ctx, `DELETE FROM login_attempts WHERE expires_at < $1`, before)
		if err != nil {
			return classify(err, "delete expired login attempts")
		}
		n = a.RowsAffected() + b.RowsAffected()
		return nil
	})
	return n, err
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
