package api

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// otherRoute labels requests no API route matched: the web UI, which
// answers every remaining GET, and 404s. Their paths are the client's and
// must never become labels.
const otherRoute = "other"

// measure times the request and records it under the route pattern that
// served it. An error from the chain is answered here, by the app's
// error handler, so the status recorded is the one the client gets.
func (s *Server) measure(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	route := otherRoute
	if r := c.Route(); r != nil && r.Method != "USE" {
		route = r.Path
	}
	s.deps.Metrics.Request(methodLabel(c.Method()), route, c.Response().StatusCode(), time.Since(start))
	return nil
}

// methodLabel keeps the standard methods and folds whatever else a client
// sends into "other".
func methodLabel(m string) string {
	switch m {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch,
		fiber.MethodDelete, fiber.MethodOptions:
		return m
	}
	return otherRoute
}
