package relay

import (
	"context"
	"errors"
	"time"

	"github.com/atrium-hq/atrium/core/internal/access"
)

// MaxTicketTTL is the longest a relay ticket may live. A ticket only has
// to survive the browser's hop from the API call that issued it to the
// WebSocket that presents it.
const MaxTicketTTL = 30 * time.Second

// ErrTicketInvalid is returned by Tickets.Consume for a token that is
// unknown, already used or expired. The three are deliberately one error:
// the caller learns nothing about which tokens exist.
var ErrTicketInvalid = errors.New("relay ticket is unknown, used or expired")

// Ticket is what a relay ticket grants: one WebSocket to one instance of
// one session, for one user, until ExpiresAt.
type Ticket struct {
	// UserID is the user the ticket was issued to; the relay runs as them.
	UserID string
	// SessionID is the only session the ticket opens.
	SessionID string
	// InstanceID is the session's instance (its current run) when the
	// ticket was issued. A ticket from before a restart opens nothing.
	InstanceID string
	// ExpiresAt is when the ticket stops working, at most MaxTicketTTL
	// after issue.
	ExpiresAt time.Time
	// Grant is the credential and organisation the relay rests on; the
	// relay ends when it no longer holds (see access.Revoker).
	Grant access.Grant
}

// Tickets issues and consumes relay tickets. The relay only consumes; the
// API issues after it has checked the user may open the session.
//
// Contract for implementations (the production one lives with the store, on
// PostgreSQL, because a ticket issued by one core replica is presented to
// whichever replica the browser's WebSocket reaches):
//
//   - Issue refuses a ticket with an empty UserID, SessionID or InstanceID,
//     or whose ExpiresAt is in the past or more than MaxTicketTTL ahead. It
//     returns an opaque token of at least 128 random bits from a CSPRNG,
//     URL-safe, so it can travel in a query string.
//   - Only a hash of the token (e.g. SHA-256) is stored, never the token.
//   - Consume is atomic and single-use: of any number of concurrent calls
//     with one token, across replicas, at most one succeeds (e.g. a single
//     DELETE … WHERE token_hash = $1 AND expires_at > now() RETURNING …).
//     It returns ErrTicketInvalid, wrapped or not, for a token that is
//     unknown, used or expired, and another error only when the store
//     itself fails.
//   - Expiry is judged by one clock (the database's), not each replica's.
//   - Expired rows are deleted eventually; they never become valid again.
//   - Neither method logs the token.
type Tickets interface {
	// Issue stores t and returns the token that redeems it.
	Issue(ctx context.Context, t Ticket) (token string, err error)
	// Consume redeems token once and returns the ticket it was issued for.
	Consume(ctx context.Context, token string) (Ticket, error)
}

// NewTicket returns a ticket for the given user, session and instance that
// lives for ttl from now, capped at MaxTicketTTL.
func NewTicket(userID, sessionID, instanceID string, ttl time.Duration, now time.Time) Ticket {
	if ttl <= 0 || ttl > MaxTicketTTL {
		ttl = MaxTicketTTL
	}
	return Ticket{UserID: userID, SessionID: sessionID, InstanceID: instanceID, ExpiresAt: now.Add(ttl)}
}

// Validate checks the Issue contract's rules about t at time now, so every
// implementation refuses the same tickets.
func (t Ticket) Validate(now time.Time) error {
	switch {
	case t.UserID == "" || t.SessionID == "" || t.InstanceID == "":
		return errors.New("relay ticket needs a user, a session and an instance id")
	case !t.ExpiresAt.After(now):
		return errors.New("relay ticket is already expired; build it with NewTicket")
	case t.ExpiresAt.Sub(now) > MaxTicketTTL:
		return errors.New("relay ticket lives longer than MaxTicketTTL; build it with NewTicket")
	}
	return nil
}
