package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/access"
)

// RelayTicket is what a relay ticket grants: one connection to one
// session's instance, for one user, asked for by one credential.
type RelayTicket struct {
	UserID     uuid.UUID
	SessionID  uuid.UUID
	InstanceID string
	ExpiresAt  time.Time
	// LoginSessionID or APIKeyID (exactly one) is the credential that
	// asked; the relay it opens lives only as long as that credential.
	LoginSessionID uuid.UUID
	APIKeyID       uuid.UUID
	// OrgID is the session's organisation, filled in by ConsumeRelayTicket.
	OrgID uuid.UUID
}

// Grant is what the relay a ticket opens rests on.
func (t RelayTicket) Grant() access.Grant {
	return access.Grant{UserID: t.UserID, OrgID: t.OrgID, LoginSessionID: t.LoginSessionID, APIKeyID: t.APIKeyID}
}

// CreateRelayTicket stores the hash of a relay ticket. The database refuses
// tickets that live longer than 30 seconds, and tickets without exactly
// one credential.
func (q *Queries) CreateRelayTicket(ctx context.Context, hash []byte, t RelayTicket) error {
	_, err := q.db.Exec(ctx, `INSERT INTO relay_tickets (hash, user_id, session_id, instance_id, expires_at, login_session_id, api_key_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, hash, t.UserID, t.SessionID, t.InstanceID, t.ExpiresAt,
		nilIfZero(t.LoginSessionID), nilIfZero(t.APIKeyID))
	return classify(err, "create relay ticket")
}

// ConsumeRelayTicket deletes the ticket with this hash and returns it, in
// one statement, so of any number of concurrent presentations across
// replicas at most one succeeds. The same statement checks that the
// ticket still holds: the session is the user's, the user active and a
// member of the session's organisation, and the login session or API key
// that asked live. Expiry is judged by the database's clock. An unknown,
// used, expired or no longer held ticket is ErrNotFound, and is spent.
func (q *Queries) ConsumeRelayTicket(ctx context.Context, hash []byte) (RelayTicket, error) {
	var t RelayTicket
	var login, key *uuid.UUID
	err := q.db.QueryRow(ctx, `WITH t AS (DELETE FROM relay_tickets WHERE hash = $1 AND expires_at > now()
			RETURNING user_id, session_id, instance_id, expires_at, login_session_id, api_key_id)
		SELECT t.user_id, t.session_id, t.instance_id, t.expires_at, t.login_session_id, t.api_key_id, s.org_id
		FROM t JOIN sessions s ON s.id = t.session_id AND s.user_id = t.user_id
		CROSS JOIN LATERAL (SELECT t.user_id, s.org_id, t.login_session_id, t.api_key_id) g
		WHERE `+grantHolds+`
		  AND (t.login_session_id IS NULL OR EXISTS (SELECT 1 FROM login_sessions l WHERE l.id = t.login_session_id AND l.expires_at > now()))`,
		hash).Scan(&t.UserID, &t.SessionID, &t.InstanceID, &t.ExpiresAt, &login, &key, &t.OrgID)
	if err != nil {
		return RelayTicket{}, classify(err, "consume relay ticket")
	}
	if login != nil {
		t.LoginSessionID = *login
	}
	if key != nil {
		t.APIKeyID = *key
	}
	return t, nil
}

// DeleteExpiredRelayTickets removes tickets nobody used in time.
func (q *Queries) DeleteExpiredRelayTickets(ctx context.Context) (int64, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM relay_tickets WHERE expires_at <= now()`)
	if err != nil {
		return 0, classify(err, "delete expired relay tickets")
	}
	return tag.RowsAffected(), nil
}
