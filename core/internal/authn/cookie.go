package authn

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// SessionCookie is the one place the login-session cookie is written, by
// password logins and single sign-on alike: host-only (no Domain), Path=/,
// HttpOnly, SameSite=Lax, and Secure behind https, where its name carries
// the __Host- prefix. An empty token clears it.
func SessionCookie(secure bool, token string, expires time.Time) *fiber.Cookie {
	c := &fiber.Cookie{Name: CookieName(secure), Value: token, Path: "/", Expires: expires,
		HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode}
	if token == "" {
		c.Expires, c.MaxAge = time.Unix(0, 0), -1
	}
	return c
}
