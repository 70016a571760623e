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
	// keeps server-side for 10 minutes, bound to that browser by a cookie,
	// and hands back at most once to CompleteLogin (see the package docs).
	BeginLogin(ctx context.Context, req BeginLoginRequest) (BeginLoginResponse, error)
	// CompleteLogin checks the provider's answer against the state and
	// returns the identity it proves. Any doubt is an error; the attempt is
	// spent either way, and the error's text is shown to the person.
	CompleteLogin(ctx context.Context, req CompleteLoginRequest) (CompleteLoginResponse, error)
}

// LogoutURLer is implemented by plugins whose provider offers logout.
type LogoutURLer interface {
	Logout(ctx context.Context, req LogoutRequest) (LogoutResponse, error)
}

// Refresher is implemented by plugins whose provider can be asked again,
// without the browser, who a logged-in person is (OAuth refresh tokens).
// The core looks for due sessions every minute and refreshes each login
// session the plugin opened once it has gone 5 minutes unrefreshed,
// re-applying the identity it returns (groups included). Only
// ErrRefreshRefused (or an identity that is not the one the session logged
// in as) ends the login session; ErrNoRefresh stops refreshing it and keeps
// it; any other error leaves it alone until the next try, which gets the
// same SessionData. The package docs have the whole contract.
type Refresher interface {
	Refresh(ctx context.Context, req RefreshRequest) (RefreshResponse, error)
}

// ErrNoRefresh is what Refresh returns for a login session it cannot
// refresh (no refresh token was issued for it). The core then stops
// refreshing that session and leaves it alone until it expires; unlike
// ErrRefreshRefused it does not end the session. It crosses the wire as
// codes.Unimplemented, so the host sees connect.ErrUnsupported.
var ErrNoRefresh = protocol.ErrUnsupported

// ErrRefreshRefused marks a Refresh the provider refused (the person was
// disabled or removed, the grant revoked) or whose answer failed the
// plugin's checks: the provider no longer vouches for the person, and the
// core ends the login session. It is the only error that does: others,
// such as an unreachable provider, leave the session alone until the next
// try. Wrap it with %w to add the reason. It crosses the wire as
// codes.PermissionDenied.
var ErrRefreshRefused = protocol.ErrRefreshRefused

// BeginLoginRequest starts a login.
type BeginLoginRequest struct {
	// RedirectURL is the core's absolute callback URL for this auth block,
	// {public URL}/api/v1/auth/{name}/callback: the redirect URI to send
	// the provider (and register there).
	RedirectURL string
}

// BeginLoginResponse says where the browser goes.
type BeginLoginResponse struct {
	AuthURL string
	// State is opaque to the core: PKCE verifier, nonce, state parameter.
	// The core keeps it server-side, never shows it to the browser, and
	// hands it to CompleteLogin at most once, within 10 minutes.
	State []byte
}

// CompleteLoginRequest carries the provider's callback.
type CompleteLoginRequest struct {
	// RedirectURL is the same callback URL BeginLogin got; OAuth token
	// requests must repeat it.
	RedirectURL string
	// Params are the callback's query parameters.
	Params url.Values
	// State is what BeginLogin returned for the login this browser's
	// attempt cookie names; empty when BeginLogin returned none. The
	// callback's parameters must be checked against it.
	State []byte
}

// Identity is who the provider says somebody is. The core keys identities
// by Issuer and Subject, never by e-mail.
type Identity struct {
	// Issuer and Subject are required; together they name the person.
	Issuer  string
	Subject string
	// Email is recorded, never used to find or link a user.
	Email string
	// EmailVerified says the provider verified Email. The core does not
	// read it; a plugin that trusts the address must check it itself.
	EmailVerified bool
	// Name becomes a new user's display name.
	Name string
	// Username names the user a first login creates (normalised, numbered
	// when taken); empty means the e-mail's local part. Later logins do
	// not rename.
	Username string
	// Groups feed the auth block's group mapping on each login and
	// refresh.
	Groups []string
}

// CompleteLoginResponse returns the proven identity.
type CompleteLoginResponse struct {
	Identity Identity
	// SessionData is opaque to the core and handed back to Logout and
	// Refresh. The core stores it server-side with the login session and
	// never shows it to the browser; a plugin that keeps secrets in it
	// (refresh tokens) should still encrypt them.
	SessionData []byte
	// ExpiresAt, when set and earlier than the core's session policy
	// allows, ends the login session then; zero leaves the policy alone.
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
	// ExpiresAt, when set and earlier than the session's current end,
	// ends the session then instead; a later time is ignored, so Refresh
	// never extends a session. Zero keeps the end. Set it only when the
	// session must end then (not to an access token's lifetime).
	ExpiresAt time.Time
}
