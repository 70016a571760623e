package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// storeTickets keeps relay tickets in PostgreSQL, so a ticket one replica
// issues opens the relay on whichever replica the WebSocket reaches.
type storeTickets struct{ st *store.Store }

// NewTickets returns the relay tickets of st.
func NewTickets(st *store.Store) relay.Tickets { return storeTickets{st} }

// Issue stores the hash of a fresh random token and returns the token.
func (t storeTickets) Issue(ctx context.Context, tk relay.Ticket) (string, error) {
	user, err1 := uuid.Parse(tk.UserID)
	sess, err2 := uuid.Parse(tk.SessionID)
	if err := errors.Join(err1, err2); err != nil || tk.InstanceID == "" {
		return "", fmt.Errorf("issue relay ticket: user, session and instance are required: %w", err)
	}
	token, hash := authn.NewToken()
	err := t.st.CreateRelayTicket(ctx, hash, store.RelayTicket{UserID: user, SessionID: sess, InstanceID: tk.InstanceID, ExpiresAt: tk.ExpiresAt,
		LoginSessionID: tk.Grant.LoginSessionID, APIKeyID: tk.Grant.APIKeyID})
	if err != nil {
		return "", fmt.Errorf("issue relay ticket: %w", err)
	}
	return token, nil
}

// Consume deletes and returns the ticket in one statement: single use
// across replicas, and refused unless the login or key that asked is live
// and the user active and still a member of the session's organisation.
func (t storeTickets) Consume(ctx context.Context, token string) (relay.Ticket, error) {
	rt, err := t.st.ConsumeRelayTicket(ctx, authn.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return relay.Ticket{}, relay.ErrTicketInvalid
	}
	if err != nil {
		return relay.Ticket{}, err
	}
	return relay.Ticket{UserID: rt.UserID.String(), SessionID: rt.SessionID.String(), InstanceID: rt.InstanceID, ExpiresAt: rt.ExpiresAt,
		Grant: rt.Grant()}, nil
}
