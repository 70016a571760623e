package api

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/pluginhost"
)

// listPlugins reports every plugin instance: name, kind, version, state,
// restarts and last error.
// Platform admins only: statuses name binaries and carry error texts.
func (s *Server) listPlugins(c *fiber.Ctx, p *authn.Principal) error {
	if err := authz.Check(p.Scope, authz.PluginsRead, uuid.Nil); err != nil {
		return err
	}
	items := []pluginhost.Status{}
	if s.deps.Plugins != nil {
		items = s.deps.Plugins.Statuses()
	}
	return c.JSON(fiber.Map{"items": items})
}

// pluginProbe is one plugin's status plus the result of a live health call.
type pluginProbe struct {
	pluginhost.Status
	Health      string `json:"health"`
	HealthError string `json:"health_error,omitempty"`
}

// getPlugin reports one plugin instance and calls its Health now, so an
// operator sees whether calls reach it, not only whether it runs.
func (s *Server) getPlugin(c *fiber.Ctx, p *authn.Principal) error {
	if err := authz.Check(p.Scope, authz.PluginsRead, uuid.Nil); err != nil {
		return err
	}
	if s.deps.Plugins == nil {
		return notFound("no plugins are configured")
	}
	st, err := s.deps.Plugins.Probe(c.UserContext(), c.Params("name"))
	if errors.Is(err, pluginhost.ErrNoInstance) {
		return notFound(fmt.Sprintf("no plugin instance %q; GET /api/v1/plugins lists them", c.Params("name")))
	}
	out := pluginProbe{Status: st, Health: "ok"}
	if err != nil {
		out.Health, out.HealthError = "failing", err.Error()
	}
	return c.JSON(out)
}
