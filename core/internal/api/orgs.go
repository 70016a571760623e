package api

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// listOrgs lists the organisations the caller can see.
func (s *Server) listOrgs(c *fiber.Ctx, p *authn.Principal) error {
	pg, err := page(c)
	if err != nil {
		return err
	}
	orgs, next, err := s.deps.Store.ListOrgs(c.UserContext(), p.Scope, pg)
	if err != nil {
		return err
	}
	return c.JSON(listOf(orgs, next, viewOrg))
}

type createOrgBody struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// createOrg adds an organisation (platform admins).
func (s *Server) createOrg(c *fiber.Ctx, p *authn.Principal) error {
	if err := authz.Check(p.Scope, authz.OrgCreate, uuid.Nil); err != nil {
		return err
	}
	var b createOrgBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	if b.Name = strings.TrimSpace(b.Name); b.Name == "" {
		b.Name = b.Slug
	}
	ctx := c.UserContext()
	var o store.Org
	err := s.deps.Store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if o, err = q.CreateOrg(ctx, b.Slug, b.Name); err != nil {
			return err
		}
		return q.Audit(ctx, store.AuditEntry{Actor: p.Actor(c.IP()), OrgID: &o.ID, Action: "org.create",
			TargetType: "org", TargetID: o.ID.String(), Details: map[string]any{"slug": o.Slug}})
	})
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(viewOrg(o))
}

// visibleOrg loads the :org of the path through the caller's scope (404
// when out of reach) and checks the action on it (403).
func (s *Server) visibleOrg(c *fiber.Ctx, p *authn.Principal, action authz.Action) (store.Org, error) {
	id, err := pathID(c, "org")
	if err != nil {
		return store.Org{}, err
	}
	o, err := s.deps.Store.GetOrg(c.UserContext(), p.Scope, id)
	if err != nil {
		return store.Org{}, err
	}
	return o, authz.Check(p.Scope, action, o.ID)
}

func (s *Server) getOrg(c *fiber.Ctx, p *authn.Principal) error {
	o, err := s.visibleOrg(c, p, authz.OrgRead)
	if err != nil {
		return err
	}
	return c.JSON(viewOrg(o))
}

type patchOrgBody struct {
	Name *string `json:"name"`
}

// patchOrg renames an organisation (org admins).
func (s *Server) patchOrg(c *fiber.Ctx, p *authn.Principal) error {
	o, err := s.visibleOrg(c, p, authz.OrgUpdate)
	if err != nil {
		return err
	}
	var b patchOrgBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	if b.Name == nil {
		return c.JSON(viewOrg(o))
	}
	ctx := c.UserContext()
	err = s.deps.Store.InTx(ctx, func(q *store.Queries) error {
		old := o.Name
		if o, err = q.RenameOrg(ctx, p.Scope, o.ID, strings.TrimSpace(*b.Name)); err != nil {
			return err
		}
		return q.Audit(ctx, store.AuditEntry{Actor: p.Actor(c.IP()), OrgID: &o.ID, Action: "org.update",
			TargetType: "org", TargetID: o.ID.String(), Details: map[string]any{"name": o.Name, "old_name": old}})
	})
	if err != nil {
		return err
	}
	return c.JSON(viewOrg(o))
}
