package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/store"
)

func (s *Server) listMembers(c *fiber.Ctx, p *authn.Principal) error {
	o, err := s.visibleOrg(c, p, authz.MemberList)
	if err != nil {
		return err
	}
	pg, err := page(c)
	if err != nil {
		return err
	}
	ms, next, err := s.deps.Store.ListMembers(c.UserContext(), p.Scope, o.ID, pg)
	if err != nil {
		return err
	}
	return c.JSON(listOf(ms, next, viewMember))
}

type addMemberBody struct {
	UserID uuid.UUID `json:"user_id"`
	Role   string    `json:"role"`
}

func parseRole(r string) (store.Role, error) {
	switch store.Role(r) {
	case store.RoleMember, store.RoleOrgAdmin:
		return store.Role(r), nil
	case "":
		return store.RoleMember, nil
	}
	return "", invalidField("role", `must be "member" or "org_admin"`)
}

// addMember puts a user the caller can already see into the organisation
// (org admins). Users outside the caller's reach are 404, so an org admin
// cannot probe for or pull in users of other organisations.
func (s *Server) addMember(c *fiber.Ctx, p *authn.Principal) error {
	o, err := s.visibleOrg(c, p, authz.MemberManage)
	if err != nil {
		return err
	}
	var b addMemberBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	role, err := parseRole(b.Role)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if _, err := s.deps.Store.GetUser(ctx, p.Scope, b.UserID); err != nil {
		return err
	}
	var m store.Membership
	err = s.deps.Store.InTx(ctx, func(q *store.Queries) error {
		if m, err = q.AddMember(ctx, p.Scope, o.ID, b.UserID, role); err != nil {
			return err
		}
		return q.Audit(ctx, store.AuditEntry{Actor: p.Actor(c.IP()), OrgID: &o.ID, Action: "member.add",
			TargetType: "user", TargetID: b.UserID.String(), Details: map[string]any{"role": string(role)}})
	})
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(viewMember(m))
}

type patchMemberBody struct {
	Role string `json:"role"`
}

func (s *Server) patchMember(c *fiber.Ctx, p *authn.Principal) error {
	o, err := s.visibleOrg(c, p, authz.MemberManage)
	if err != nil {
		return err
	}
	userID, err := pathID(c, "user")
	if err != nil {
		return err
	}
	var b patchMemberBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	if b.Role == "" {
		return invalidField("role", "is required")
	}
	role, err := parseRole(b.Role)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	var m store.Membership
	err = s.deps.Store.InTx(ctx, func(q *store.Queries) error {
		if m, err = q.SetMemberRole(ctx, p.Scope, o.ID, userID, role); err != nil {
			return err
		}
		return q.Audit(ctx, store.AuditEntry{Actor: p.Actor(c.IP()), OrgID: &o.ID, Action: "member.update",
			TargetType: "user", TargetID: userID.String(), Details: map[string]any{"role": string(role)}})
	})
	if err != nil {
		return err
	}
	return c.JSON(viewMember(m))
}

func (s *Server) removeMember(c *fiber.Ctx, p *authn.Principal) error {
	o, err := s.visibleOrg(c, p, authz.MemberManage)
	if err != nil {
		return err
	}
	userID, err := pathID(c, "user")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	err = s.deps.Store.InTx(ctx, func(q *store.Queries) error {
		if err := q.RemoveMember(ctx, p.Scope, o.ID, userID); err != nil {
			return err
		}
		return q.Audit(ctx, store.AuditEntry{Actor: p.Actor(c.IP()), OrgID: &o.ID, Action: "member.remove",
			TargetType: "user", TargetID: userID.String()})
	})
	if err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}
