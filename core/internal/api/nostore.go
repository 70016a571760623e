package api

import "github.com/gofiber/fiber/v2"

// noStore keeps every API answer out of browser and proxy caches: answers
// carry the CSRF token (login, /me), API keys shown once, and personal
// data, and a shared machine's back button or a caching proxy must not
// hand them to the next person. Pragma covers HTTP/1.0 caches. It runs
// before the handler, so refusals and errors carry it too.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderPragma, "no-cache")
	return c.Next()
}
