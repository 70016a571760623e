package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
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
// session is running the same instance, is the user's, the login session
// is live, the user is active), stores an app session under cookieHash
// that lives ttl (capped at MaxAppSessionTTL and at the login session's
// expiry). The token is spent even when the checks fail, so a token shown
// on the wrong host is gone. Anything that does not hold is ErrNotFound.
func (q *Queries) RedeemAppToken(ctx context.Context, tokenHash []byte, sessionID uuid.UUID, cookieHash []byte, ttl time.Duration) (Session, error) {
	if ttl <= 0 || ttl > MaxAppSessionTTL {
		ttl = MaxAppSessionTTL
	}
	var t AppToken
	err := q.db.QueryRow(ctx, `DELETE FROM app_tokens WHERE hash = $1 AND expires_at > now()
		RETURNING user_id, session_id, instance_id, login_session_id, expires_at`, tokenHash).
		Scan(&t.UserID, &t.SessionID, &t.InstanceID, &t.LoginSessionID, &t.ExpiresAt)
	if err != nil {
		return Session{}, classify(err, "redeem app token")
	}
	if t.SessionID != sessionID {
		return Session{}, fmt.Errorf("redeem app token: it was issued for another session: %w", ErrNotFound)
	}
	rows, _ := q.db.Query(ctx, `INSERT INTO app_sessions (hash, user_id, session_id, instance_id, login_session_id, expires_at)
		SELECT $1, s.user_id, s.id, s.instance_id, l.id, least(now() + make_interval(secs => $6), l.expires_at)
		FROM sessions s, login_sessions l, users u
		WHERE s.id = $2 AND s.user_id = $3 AND s.instance_id = $4 AND s.state = 'running'
		  AND l.id = $5 AND l.user_id = $3 AND l.revoked_at IS NULL AND l.expires_at > now()
		  AND u.id = $3 AND u.status = 'active'
		RETURNING session_id`,
		cookieHash, t.SessionID, t.UserID, t.InstanceID, t.LoginSessionID, ttl.Seconds())
	if _, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[uuid.UUID]); err != nil {
		return Session{}, classify(err, "redeem app token: the session, its instance or the login behind the token is gone")
	}
	return q.AppSessionByHash(ctx, cookieHash, sessionID)
}

// AppSessionByHash returns the session an app session with this cookie
// hash opens, if it opens sessionID and still holds: not expired, the
// session running the instance it was issued for and owned by its user,
// the login session it came from live, the user active. Anything else is
// ErrNotFound. This is why stopping a session or logging out ends every
// app cookie at once, on every replica, with nothing to notify.
func (q *Queries) AppSessionByHash(ctx context.Context, cookieHash []byte, sessionID uuid.UUID) (Session, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+sessionCols+` FROM app_sessions a
		JOIN sessions s ON s.id = a.session_id AND s.instance_id = a.instance_id AND s.user_id = a.user_id AND s.state = 'running'
		JOIN login_sessions l ON l.id = a.login_session_id AND l.revoked_at IS NULL AND l.expires_at > now()
		JOIN users u ON u.id = a.user_id AND u.status = 'active'
		WHERE a.hash = $1 AND a.session_id = $2 AND a.expires_at > now()`, cookieHash, sessionID)
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Session])
	return s, classify(err, "find app session")
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
