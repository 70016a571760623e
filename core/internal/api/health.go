package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/problem"
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
		return problem.New(http.StatusServiceUnavailable, problem.Draining, "this core is shutting down; send requests to another replica")
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
			// The driver's text may name the database's address.
			s.log.Warn("readiness: database does not answer", "error", err)
			problems = append(problems, "database: does not answer")
		}
	}
	if len(problems) > 0 {
		return problem.New(http.StatusServiceUnavailable, problem.NotReady, strings.Join(problems, "; "))
	}
	return c.JSON(fiber.Map{"status": "ready"})
}
