package authn

import (
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// TestSessionCookie: host-only, Path=/, HttpOnly, SameSite=Lax; Secure
// and __Host- behind https; an empty token clears it.
func TestSessionCookie(t *testing.T) {
	exp := time.Now().Add(time.Hour)
	for _, secure := range []bool{true, false} {
		c := SessionCookie(secure, "tok", exp)
		if c.Name != CookieName(secure) || c.Value != "tok" || c.Domain != "" || c.Path != "/" || !c.HTTPOnly ||
			c.Secure != secure || c.SameSite != fiber.CookieSameSiteLaxMode || !c.Expires.Equal(exp) || c.MaxAge != 0 {
			t.Errorf("secure=%v: %+v", secure, c)
		}
		if secure && c.Name != "__Host-atrium_session" {
			t.Errorf("https cookie named %q", c.Name)
		}
		cl := SessionCookie(secure, "", exp)
		if cl.Value != "" || cl.MaxAge != -1 || !cl.Expires.Before(time.Now()) || cl.Name != c.Name || cl.Path != "/" {
			t.Errorf("clearing cookie, secure=%v: %+v", secure, cl)
		}
	}
}
