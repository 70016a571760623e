package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/atrium-hq/atrium/core/internal/access"
)

// AppToken is a single-use permission to enter one session's web app on
// its own origin, for one user, from one login session.
type AppToken struct {
	UserID         uuid.UUID
	SessionID      uuid.UUID
	InstanceID     string
	LoginSessionID uuid.UUID
	ExpiresAt      time.Time
}

// MaxAppSessionTTL is the longest an app session may live; the database
// refuses longer ones. It also never outlives the login session it came
// from.
const MaxAppSessionTTL = 24 * time.Hour

// CreateAppToken stores the hash of an app token. The database refuses
// tokens that live longer than 60 seconds, and tokens for a login session,
// user or session that does not exist.
func (q *Queries) CreateAppToken(ctx context.Context, hash []byte, t AppToken) error {
	_, err := q.db.Exec(ctx, `INSERT INTO app_tokens (hash, user_id, session_id, instance_id, login_session_id, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, hash, t.UserID, t.SessionID, t.InstanceID, t.LoginSessionID, t.ExpiresAt)
	return classify(err, "create app token")
}

// RedeemAppToken consumes the app token with tokenHash and, when it was
// issued for sessionID and everything it is bound to still holds (the
// session is running the same instance and is the user's, the login
// session is live, the user active and a member of the session's
// organisation), stores an app session under cookieHash that lives ttl
// (capped at MaxAppSessionTTL and at the login session's expiry). One
// statement spends the token and checks it, so a token shown on the wrong
// host, or after its login ended, is gone. Anything that does not hold is
// ErrNotFound.
func (q *Queries) RedeemAppToken(ctx context.Context, tokenHash []byte, sessionID uuid.UUID, cookieHash []byte, ttl time.Duration) (AppSession, error) {
	if ttl <= 0 || ttl > MaxAppSessionTTL {
		ttl = MaxAppSessionTTL
	}
	rows, _ := q.db.Query(ctx, `WITH t AS (DELETE FROM app_tokens WHERE hash = $1 AND expires_at > now()
			RETURNING user_id, session_id, instance_id, login_session_id)
		INSERT INTO app_sessions (hash, user_id, session_id, instance_id, login_session_id, expires_at)
		SELECT $2, s.user_id, s.id, s.instance_id, l.id, least(now() + make_interval(secs => $4), l.expires_at)
		FROM t JOIN sessions s ON s.id = t.session_id AND s.user_id = t.user_id AND s.instance_id = t.instance_id AND s.state = 'running'
		JOIN login_sessions l ON l.id = t.login_session_id AND l.user_id = t.user_id AND l.revoked_at IS NULL AND l.expires_at > now()
		JOIN users u ON u.id = t.user_id AND u.status = 'active'
		JOIN memberships m ON m.org_id = s.org_id AND m.user_id = t.user_id
		WHERE t.session_id = $3
		RETURNING session_id`,
		tokenHash, cookieHash, sessionID, ttl.Seconds())
	if _, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[uuid.UUID]); err != nil {
		return AppSession{}, classify(err, "redeem app token: unknown, used or expired, issued for another session, or the session, its instance or the login behind it is gone")
	}
	return q.AppSessionByHash(ctx, cookieHash, sessionID)
}

// AppSession is what an app cookie opens: the session, and the grant the
// app's live streams rest on.
type AppSession struct {
	Session Session
	Grant   access.Grant
}

// AppSessionByHash returns the session an app session with this cookie
// hash opens, if it opens sessionID and still holds: not expired, the
// session running the instance it was issued for and owned by its user,
// the login session it came from live, the user active and a member of
// the session's organisation. Anything else is ErrNotFound. This is why
// stopping a session or logging out ends every app cookie at once, on
// every replica, with nothing to notify.
func (q *Queries) AppSessionByHash(ctx context.Context, cookieHash []byte, sessionID uuid.UUID) (AppSession, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+sessionCols+`, a.login_session_id FROM app_sessions a
		JOIN sessions s ON s.id = a.session_id AND s.instance_id = a.instance_id AND s.user_id = a.user_id AND s.state = 'running'
		JOIN login_sessions l ON l.id = a.login_session_id AND l.revoked_at IS NULL AND l.expires_at > now()
		JOIN users u ON u.id = a.user_id AND u.status = 'active'
		JOIN memberships m ON m.org_id = s.org_id AND m.user_id = a.user_id
		WHERE a.hash = $1 AND a.session_id = $2 AND a.expires_at > now()`, cookieHash, sessionID)
	type row struct {
		Session
		LoginSessionID uuid.UUID `db:"login_session_id"`
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[row])
	if err != nil {
		return AppSession{}, classify(err, "find app session")
	}
	return AppSession{Session: r.Session, Grant: access.Grant{UserID: r.UserID, OrgID: r.OrgID, LoginSessionID: r.LoginSessionID}}, nil
}

// DeleteExpiredAppGrants removes app tokens and app sessions that expired
// or whose login session was revoked; they could never be used again.
func (q *Queries) DeleteExpiredAppGrants(ctx context.Context) (int64, error) {
	a, err := q.db.Exec(ctx, `DELETE FROM app_tokens WHERE expires_at <= now()`)
	if err != nil {
		return 0, classify(err, "delete expired app tokens")
	}
	b, err := q.db.Exec(ctx, `DELETE FROM app_sessions a USING login_sessions l
		WHERE l.id = a.login_session_id AND (a.expires_at <= now() OR l.revoked_at IS NOT NULL)`)
	if err != nil {
		return 0, classify(err, "delete expired app sessions")
	}
	return a.RowsAffected() + b.RowsAffected(), nil
}
