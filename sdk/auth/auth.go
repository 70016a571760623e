// Package auth is the SDK for auth plugins, which send a person to an
// identity provider and turn its answer into an identity. The core owns
// users, roles and login sessions; a plugin only proves who somebody is.
package auth

import (
	"context"
	"net/url"
	"time"

	"github.com/atrium-hq/atrium/sdk/internal/protocol"
	"github.com/atrium-hq/atrium/sdk/plugin"
)

// APIVersion is the major version of atrium.auth.v1 this package speaks.
const APIVersion = 1

// Auth is the interface an auth plugin implements.
type Auth interface {
	plugin.Plugin

	// BeginLogin returns where to send the browser, and state the core
	// keeps server-side, bound to that browser, and hands back once to
	// CompleteLogin.
	BeginLogin(ctx context.Context, req BeginLoginRequest) (BeginLoginResponse, error)
	// CompleteLogin checks the provider's answer against the state and
	// returns the identity it proves. Any doubt is an error.
	CompleteLogin(ctx context.Context, req CompleteLoginRequest) (CompleteLoginResponse, error)
}

// LogoutURLer is implemented by plugins whose provider offers logout.
type LogoutURLer interface {
	Logout(ctx context.Context, req LogoutRequest) (LogoutResponse, error)
}

// Refresher is implemented by plugins whose provider can be asked again,
// without the browser, who a logged-in person is (OAuth refresh tokens).
// The core looks for due sessions every minute and refreshes each login
// session the plugin opened about every 5 minutes, re-applying the identity
// it returns (groups included). Only ErrRefreshRefused (or an identity that
// is not the one the session logged in as) ends the login session; ErrNoRefresh
// stops refreshing it; any other error leaves it alone until the next try.
type Refresher interface {
	Refresh(ctx context.Context, req RefreshRequest) (RefreshResponse, error)
}

// ErrNoRefresh is what Refresh returns for a login session it cannot
// refresh (no refresh token was issued for it). The core then stops
// refreshing that session and leaves it alone; any other error ends it. It
// crosses the wire as codes.Unimplemented, so the host sees
// connect.ErrUnsupported.
var ErrNoRefresh = protocol.ErrUnsupported

// ErrRefreshRefused marks a Refresh the provider refused (the person was
// disabled or removed, the grant revoked) or whose answer failed the
// plugin's checks: the provider no longer vouches for the person, and the
// core ends the login session. Other errors, such as an unreachable
// provider, leave the session alone until the next try. It crosses the
// wire as codes.PermissionDenied.
var ErrRefreshRefused = protocol.ErrRefreshRefused

// BeginLoginRequest starts a login.
type BeginLoginRequest struct {
	// RedirectURL is the core's callback URL for this plugin.
	RedirectURL string
}

// BeginLoginResponse says where the browser goes.
type BeginLoginResponse struct {
	AuthURL string
	// State is opaque to the core: PKCE verifier, nonce, state parameter.
	State []byte
}

// CompleteLoginRequest carries the provider's callback.
type CompleteLoginRequest struct {
	RedirectURL string
	// Params are the callback's query parameters.
	Params url.Values
	// State is what BeginLogin returned for this browser.
	State []byte
}

// Identity is who the provider says somebody is. The core keys identities
// by Issuer and Subject, never by e-mail.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Username      string
	Groups        []string
}

// CompleteLoginResponse returns the proven identity.
type CompleteLoginResponse struct {
	Identity Identity
	// SessionData is opaque to the core and handed back to Logout and
	// Refresh. The core stores it server-side with the login session and
	// never shows it to the browser; a plugin that keeps secrets in it
	// (refresh tokens) should still encrypt them.
	SessionData []byte
	// ExpiresAt bounds the login session when set.
	ExpiresAt time.Time
}

// LogoutRequest asks for the provider's logout URL.
type LogoutRequest struct {
	SessionData           []byte
	PostLogoutRedirectURL string
}

// LogoutResponse says where the browser goes to log out at the provider.
type LogoutResponse struct {
	LogoutURL string
}

// RefreshRequest asks for the current identity of a login session.
type RefreshRequest struct {
	// SessionData is what CompleteLogin or the last Refresh returned.
	SessionData []byte
}

// RefreshResponse is the identity the provider vouches for now.
type RefreshResponse struct {
	Identity Identity
	// SessionData replaces the stored session data; empty keeps it.
	SessionData []byte
	// ExpiresAt bounds the login session when set; it never extends the
	// session past the core's policy.
	ExpiresAt time.Time
}
