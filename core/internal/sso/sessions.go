package sso

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// LoginSessions opens login sessions. authn owns them; sso only asks for
// one inside the login's transaction, so a login that fails after the user
// was created leaves neither user nor session behind.
type LoginSessions interface {
	// OpenLoginSession creates a login session with q (the login's
	// transaction) and writes nothing else but its own rows.
	OpenLoginSession(ctx context.Context, q *store.Queries, r NewLoginSession) (LoginSession, error)
}

// NewLoginSession is what a login through an auth plugin asks for.
type NewLoginSession struct {
	UserID uuid.UUID
	// AuthPlugin names the auth block, for logout through its provider.
	AuthPlugin string
	// PluginSessionData is the plugin's opaque data for Logout.
	PluginSessionData []byte
	// ExpiresAt, when set, bounds the session earlier than policy.
	ExpiresAt time.Time
	IP        string
	UserAgent string
	// PreviousToken is the session cookie the browser already holds, to
	// be revoked: a login always starts a fresh session.
	PreviousToken string
}

// LoginSession is an opened session: what goes into the cookie.
type LoginSession struct {
	ID        uuid.UUID
	Token     string
	CSRFToken string
	ExpiresAt time.Time
}
