package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// healthz answers while the process serves HTTP at all.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz answers 200 only when every plugin serves and the database answers,
// so a load balancer sends no traffic to a core that cannot serve it, and
// 503 at once when the core drains before it stops.
func (s *Server) readyz(c *fiber.Ctx) error {
	if s.draining.Load() {
		return NewProblem(http.StatusServiceUnavailable, "draining", "this core is shutting down; send requests to another replica")
	}
	var problems []string
	if s.deps.Plugins != nil {
		if ok, down := s.deps.Plugins.Healthy(); !ok {
			problems = append(problems, down...)
		}
	}
	if s.deps.Store != nil {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := s.deps.Store.Pool().Ping(ctx); err != nil {
			problems = append(problems, "database: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return NewProblem(http.StatusServiceUnavailable, "not-ready", strings.Join(problems, "; "))
	}
	return c.JSON(fiber.Map{"status": "ready"})
}
