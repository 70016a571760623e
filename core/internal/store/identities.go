package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Identity links a user to an account at an identity provider. It is keyed
// by issuer and subject, never by e-mail, which providers let people change.
type Identity struct {
	UserID      uuid.UUID  `db:"user_id"`
	Issuer      string     `db:"issuer"`
	Subject     string     `db:"subject"`
	Email       string     `db:"email"`
	CreatedAt   time.Time  `db:"created_at"`
	LastLoginAt *time.Time `db:"last_login_at"`
}

const identityCols = `user_id, issuer, subject, email, created_at, last_login_at`

// UpsertIdentity records a login through an identity provider: it creates
// the link for id.UserID, or refreshes the e-mail and last login of the
// existing one. An existing link keeps its user: the returned Identity's
// UserID is the one to log in, whatever id.UserID said.
func (q *Queries) UpsertIdentity(ctx context.Context, id Identity) (Identity, error) {
	rows, _ := q.db.Query(ctx, `INSERT INTO identities (user_id, issuer, subject, email, last_login_at)
		VALUES ($1, $2, $3, $4, now())
		ON CONFLICT (issuer, subject) DO UPDATE SET email = EXCLUDED.email, last_login_at = now()
		RETURNING `+identityCols, id.UserID, id.Issuer, id.Subject, id.Email)
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Identity])
	return out, classify(err, "record identity")
}

// IdentityBySubject finds the link for a provider's account, for login
// (unscoped: nobody is authenticated yet).
func (q *Queries) IdentityBySubject(ctx context.Context, issuer, subject string) (Identity, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+identityCols+` FROM identities WHERE issuer = $1 AND subject = $2`, issuer, subject)
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Identity])
	return out, classify(err, "find identity")
}

// ListIdentities lists the provider accounts linked to a user the caller
// can see.
func (q *Queries) ListIdentities(ctx context.Context, sc Scope, userID uuid.UUID) ([]Identity, error) {
	rows, _ := q.db.Query(ctx, `SELECT i.user_id, i.issuer, i.subject, i.email, i.created_at, i.last_login_at
		FROM identities i JOIN users u ON u.id = i.user_id
		WHERE `+userVisible+` AND i.user_id = $4 ORDER BY i.issuer, i.subject`,
		append(userArgs(sc), userID)...)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[Identity])
	return out, classify(err, "list identities")
}
