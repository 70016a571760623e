package api

import (
	"net/http"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/store"
)

type meOrg struct {
	orgView
	Role string `json:"role"`
}

type meView struct {
	User userView `json:"user"`
	Orgs []meOrg  `json:"orgs"`
	// CSRFToken is set for cookie-authenticated callers.
	CSRFToken string `json:"csrf_token,omitempty"`
	// APIKeyID is set when the caller used an API key.
	APIKeyID string `json:"api_key_id,omitempty"`
}

// getMe answers who the caller is, its organisations and roles, and for a
// browser the CSRF token its writes need.
func (s *Server) getMe(c *fiber.Ctx, p *authn.Principal) error {
	out := meView{User: viewUser(p.User), Orgs: []meOrg{}}
	for id, role := range p.Scope.Orgs {
		o, err := s.deps.Store.GetOrg(c.UserContext(), p.Scope, id)
		if err != nil {
			return err
		}
		out.Orgs = append(out.Orgs, meOrg{orgView: viewOrg(o), Role: string(role)})
	}
	sort.Slice(out.Orgs, func(i, j int) bool { return out.Orgs[i].Slug < out.Orgs[j].Slug })
	if p.Session != nil {
		out.CSRFToken = authn.CSRFToken(c.Cookies(s.cookieName))
	}
	if p.Key != nil {
		out.APIKeyID = p.Key.ID.String()
	}
	return c.JSON(out)
}

type patchMeBody struct {
	DisplayName     *string `json:"display_name"`
	Email           *string `json:"email"`
	CurrentPassword *string `json:"current_password"`
	NewPassword     *string `json:"new_password"`
}

// patchMe changes the caller's profile and, with the current password,
// its password; a password change logs out every other browser.
func (s *Server) patchMe(c *fiber.Ctx, p *authn.Principal) error {
	var b patchMeBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	ctx := c.UserContext()
	var newHash *string
	if b.NewPassword != nil {
		if p.Session == nil {
			return forbidden(problem.LoginRequired, "change your password from a login session, not with an API key")
		}
		cur := ""
		if b.CurrentPassword != nil {
			cur = *b.CurrentPassword
		}
		stored := ""
		if p.User.PasswordHash != nil {
			stored = *p.User.PasswordHash
		}
		ok, err := authn.CheckPassword(cur, stored)
		if err != nil {
			return err
		}
		if !ok {
			return invalidField("current_password", "does not match your password")
		}
		h, err := authn.HashPassword(*b.NewPassword)
		if err != nil {
			return err
		}
		newHash = &h
	}
	u := p.User
	err := s.deps.Store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if b.DisplayName != nil || b.Email != nil {
			name, email := u.DisplayName, u.Email
			if b.DisplayName != nil {
				name = strings.TrimSpace(*b.DisplayName)
			}
			if b.Email != nil {
				email = strings.TrimSpace(*b.Email)
			}
			if u, err = q.UpdateProfile(ctx, p.Scope, u.ID, email, name); err != nil {
				return err
			}
			if err := q.Audit(ctx, store.AuditEntry{Actor: p.Actor(c.IP()), Action: "user.update", TargetType: "user", TargetID: u.ID.String(),
				Details: map[string]any{"display_name": u.DisplayName, "email": u.Email}}); err != nil {
				return err
			}
		}
		if newHash != nil {
			if u, err = q.SetPasswordHash(ctx, p.Scope, u.ID, newHash); err != nil {
				return err
			}
			n, err := q.RevokeOtherLoginSessions(ctx, u.ID, p.Session.ID)
			if err != nil {
				return err
			}
			if err := q.Audit(ctx, store.AuditEntry{Actor: p.Actor(c.IP()), Action: "user.password_change", TargetType: "user", TargetID: u.ID.String(),
				Details: map[string]any{"sessions_revoked": n}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.Status(http.StatusOK).JSON(viewUser(u))
}
