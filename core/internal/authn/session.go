package authn

import (
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// SessionPolicy bounds a login session's life.
type SessionPolicy struct {
	// Idle ends a session nobody used for this long.
	Idle time.Duration
	// Absolute ends a session this long after login, used or not.
	Absolute time.Duration
}

// DefaultSessionPolicy: a working day of idleness, a week at most.
var DefaultSessionPolicy = SessionPolicy{Idle: 12 * time.Hour, Absolute: 7 * 24 * time.Hour}

// touchEvery throttles last-seen updates of sessions and last-used updates
// of API keys, so that reads do not each cost a write.
const touchEvery = time.Minute

// Cookie names. Browsers accept the __Host- prefix only on Secure cookies,
// so plain-http installs (local trials) use the unprefixed name; both are
// host-only (no Domain) with Path=/.
const (
	SecureCookieName = "__Host-atrium_session"
	PlainCookieName  = "atrium_session"
)

// CookieName is the session cookie's name for a core served over https
// (secure) or plain http.
func CookieName(secure bool) string {
	if secure {
		return SecureCookieName
	}
	return PlainCookieName
}

// CSRFToken derives a login session's CSRF token from its session token.
// Only its hash is stored, and any request carrying the cookie can recompute
// it (GET /api/v1/me returns it), while a page on another origin, which
// cannot read the cookie, cannot.
func CSRFToken(sessionToken string) string {
	h := sha256.Sum256([]byte("atrium csrf\x00" + sessionToken))
	return base64.RawURLEncoding.EncodeToString(h[:])
}
