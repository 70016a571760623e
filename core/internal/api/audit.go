package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// listAudit lists audit entries newest first: all for platform admins,
// their organisations' for org admins, and everyone's own actions. Filters:
// action, actor (user id), org, target (id), target_type, since and until
// (RFC 3339).
func (s *Server) listAudit(c *fiber.Ctx, p *authn.Principal) error {
	pg, err := page(c)
	if err != nil {
		return err
	}
	f := store.AuditFilter{Action: c.Query("action"), TargetType: c.Query("target_type"), TargetID: c.Query("target")}
	if f.OrgID, err = queryID(c, "org"); err != nil {
		return err
	}
	if f.ActorUserID, err = queryID(c, "actor"); err != nil {
		return err
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := c.Query(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return invalidField(name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
			}
			*dst = t
		}
	}
	es, next, err := s.deps.Store.ListAudit(c.UserContext(), p.Scope, f, pg)
	if err != nil {
		return err
	}
	return c.JSON(listOf(es, next, viewAudit))
}
