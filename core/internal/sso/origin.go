package sso

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
)

// sameOrigin says whether a form POST comes from a page of the core itself:
// its Origin, or its Referer when a browser sent no Origin, must be the
// public URL's origin. Without this a foreign site could post its own
// credentials to a plugin's form and log the browser in as its attacker
// (login CSRF); a request naming neither is refused, since every browser
// sends one of them on a form POST.
func sameOrigin(c *fiber.Ctx, publicURL string) bool {
	if o := c.Get(fiber.HeaderOrigin); o != "" {
		return o == publicURL
	}
	ref, err := url.Parse(c.Get(fiber.HeaderReferer))
	if err != nil || ref.Scheme == "" || ref.Host == "" {
		return false
	}
	return ref.Scheme+"://"+ref.Host == publicURL
}
