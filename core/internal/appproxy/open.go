package appproxy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// Errors OpenApp returns for the API to map.
var (
	// ErrNotRunning: the session has no running instance.
	ErrNotRunning = errors.New("the session is not running; start it, then open its app")
	// ErrNotHTTP: the session's workspace is not a web app (a desktop).
	ErrNotHTTP = errors.New("the session's workspace is not a web app; desktops open through connect")
	// ErrNotOwner: only the session's owner opens its app.
	ErrNotOwner = errors.New("only the session's owner can open its app")
	// ErrNoLogin: the caller did not use a login session (an API key); the
	// app link is bound to a browser's login.
	ErrNoLogin = errors.New("open the app from a browser logged in to Atrium; API keys cannot open apps")
	// ErrUnreachable: the session's app could not be reached to check it.
	ErrUnreachable = errors.New("the session's app could not be reached")
)

// Opened is where a browser goes to open a session's app.
type Opened struct {
	// URL is absolute; in isolation mode it carries a single-use token.
	URL string `json:"url"`
	// ExpiresAt is when the token stops working (zero in path mode).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// OpenApp returns the URL that opens s's app for userID, who is logged in
// with loginSessionID. The caller has read s with the user's scope. In
// isolation mode it issues a single-use token bound to the user, the
// session, its instance and the login session, living TokenTTL.
func (p *Proxy) OpenApp(ctx context.Context, s store.Session, userID, loginSessionID uuid.UUID) (Opened, error) {
	switch {
	case !authz.AllowedOnSession(store.Scope{UserID: userID}, authz.SessionOpen, s):
		return Opened{}, ErrNotOwner
	case s.State != store.StateRunning || s.InstanceID == "":
		return Opened{}, ErrNotRunning
	case loginSessionID == uuid.Nil:
		return Opened{}, ErrNoLogin
	}
	if err := p.checkHTTP(ctx, s); err != nil {
		return Opened{}, err
	}
	if !p.Isolated() {
		return Opened{URL: p.o.public + PathPrefix + s.ID.String() + "/"}, nil
	}
	token, hash := authn.NewToken()
	exp := time.Now().Add(p.opts.TokenTTL)
	err := p.opts.Store.CreateAppToken(ctx, hash, store.AppToken{UserID: userID, SessionID: s.ID, InstanceID: s.InstanceID,
		LoginSessionID: loginSessionID, ExpiresAt: exp})
	if err != nil {
		return Opened{}, fmt.Errorf("issue app token: %w", err)
	}
	// The token is URL-safe base64: it needs no escaping.
	return Opened{URL: p.appOrigin(s.ID) + AuthPath + "?token=" + token + "&next=/", ExpiresAt: exp}, nil
}

// checkHTTP dials the session once to learn its protocol, which only the
// workspace plugin knows. Opening an app is rare next to using it, so a
// spare tunnel here is cheaper than keeping protocols in the database.
func (p *Proxy) checkHTTP(ctx context.Context, s store.Session) error {
	ctx, cancel := context.WithTimeout(ctx, p.opts.DialTimeout)
	defer cancel()
	c, err := p.opts.Sessions.DialPrimary(ctx, s)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	_ = c.Conn.Close()
	if c.Protocol != workspace.ProtocolHTTP {
		return ErrNotHTTP
	}
	return nil
}
