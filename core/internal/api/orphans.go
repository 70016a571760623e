package api

import (
	"context"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// Orphans are the runtime sessions the database does not know, which only
// a platform admin may adopt or destroy (session.Manager).
type Orphans interface {
	Orphans(ctx context.Context) ([]store.Orphan, error)
	AdoptOrphan(ctx context.Context, sc store.Scope, id uuid.UUID) (store.Session, error)
	DestroyOrphan(ctx context.Context, sc store.Scope, id uuid.UUID, removeHome bool) error
}

// orphans is Deps.Sessions's orphan side, or a 404 when the wiring has
// none.
func (s *Server) orphans(p *authn.Principal) (Orphans, error) {
	if err := authz.Check(p.Scope, authz.OrphansManage, uuid.Nil); err != nil {
		return nil, err
	}
	o, ok := s.deps.Sessions.(Orphans)
	if !ok {
		return nil, notFound("this server keeps no record of orphaned runtime sessions")
	}
	return o, nil
}

// listOrphans lists runtime sessions the database does not know.
func (s *Server) listOrphans(c *fiber.Ctx, p *authn.Principal) error {
	o, err := s.orphans(p)
	if err != nil {
		return err
	}
	items, err := o.Orphans(c.UserContext())
	if err != nil {
		return err
	}
	if items == nil {
		items = []store.Orphan{}
	}
	return c.JSON(fiber.Map{"items": items})
}

// adoptOrphan writes an orphan's session row back, so its owner sees it.
func (s *Server) adoptOrphan(c *fiber.Ctx, p *authn.Principal) error {
	o, err := s.orphans(p)
	if err != nil {
		return err
	}
	id, err := pathID(c, "orphan")
	if err != nil {
		return err
	}
	sess, err := o.AdoptOrphan(sessionCtx(c, p), p.Scope, id)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(s.viewSession(c.UserContext())(sess))
}

// destroyOrphan destroys an orphan, keeping the home volume unless
// ?remove_home=true.
func (s *Server) destroyOrphan(c *fiber.Ctx, p *authn.Principal) error {
	o, err := s.orphans(p)
	if err != nil {
		return err
	}
	id, err := pathID(c, "orphan")
	if err != nil {
		return err
	}
	if err := o.DestroyOrphan(sessionCtx(c, p), p.Scope, id, c.Query("remove_home") == "true"); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}
