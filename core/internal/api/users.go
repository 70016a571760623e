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

// listUsers lists the users the caller can see: itself, the members of its
// organisations, everyone for platform admins. ?org= and ?status= filter.
func (s *Server) listUsers(c *fiber.Ctx, p *authn.Principal) error {
	pg, err := page(c)
	if err != nil {
		return err
	}
	org, err := queryID(c, "org")
	if err != nil {
		return err
	}
	f := store.UserFilter{OrgID: org}
	switch st := store.UserStatus(c.Query("status")); st {
	case "", store.UserActive, store.UserSuspended:
		f.Status = st
	default:
		return invalidField("status", `must be "active" or "suspended"`)
	}
	us, next, err := s.deps.Store.ListUsers(c.UserContext(), p.Scope, f, pg)
	if err != nil {
		return err
	}
	return c.JSON(listOf(us, next, viewUser))
}

type createUserBody struct {
	Username      string     `json:"username"`
	Email         string     `json:"email"`
	DisplayName   string     `json:"display_name"`
	Password      *string    `json:"password"`
	PlatformAdmin bool       `json:"platform_admin"`
	OrgID         *uuid.UUID `json:"org_id"`
	Role          string     `json:"role"`
}

// createUser adds a built-in account (platform admins), optionally as a
// member of one organisation. Without a password the user can log in only
// through an auth plugin.
func (s *Server) createUser(c *fiber.Ctx, p *authn.Principal) error {
	if err := authz.Check(p.Scope, authz.UserCreate, uuid.Nil); err != nil {
		return err
	}
	var b createUserBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	if b.Username = strings.TrimSpace(b.Username); b.Username == "" {
		return invalidField("username", "must not be empty")
	}
	role, err := parseRole(b.Role)
	if err != nil {
		return err
	}
	nu := store.NewUser{Username: b.Username, Email: strings.TrimSpace(b.Email), DisplayName: strings.TrimSpace(b.DisplayName), PlatformAdmin: b.PlatformAdmin}
	if b.Password != nil {
		h, err := authn.HashPassword(*b.Password)
		if err != nil {
			return err
		}
		nu.PasswordHash = &h
	}
	ctx := c.UserContext()
	var u store.User
	err = s.deps.Store.InTx(ctx, func(q *store.Queries) error {
		if u, err = q.CreateUser(ctx, nu); err != nil {
			return err
		}
		if err := q.Audit(ctx, store.AuditEntry{Actor: p.Actor(c.IP()), Action: "user.create", TargetType: "user", TargetID: u.ID.String(),
			Details: map[string]any{"username": u.Username, "platform_admin": u.PlatformAdmin}}); err != nil {
			return err
		}
		if b.OrgID == nil {
			return nil
		}
		if _, err := q.AddMember(ctx, p.Scope, *b.OrgID, u.ID, role); err != nil {
			return err
		}
		return q.Audit(ctx, store.AuditEntry{Actor: p.Actor(c.IP()), OrgID: b.OrgID, Action: "member.add",
			TargetType: "user", TargetID: u.ID.String(), Details: map[string]any{"role": string(role)}})
	})
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(viewUser(u))
}

func (s *Server) visibleUser(c *fiber.Ctx, p *authn.Principal) (store.User, error) {
	id, err := pathID(c, "user")
	if err != nil {
		return store.User{}, err
	}
	return s.deps.Store.GetUser(c.UserContext(), p.Scope, id)
}

func (s *Server) getUser(c *fiber.Ctx, p *authn.Principal) error {
	u, err := s.visibleUser(c, p)
	if err != nil {
		return err
	}
	return c.JSON(viewUser(u))
}

type patchUserBody struct {
	Status        *string `json:"status"`
	PlatformAdmin *bool   `json:"platform_admin"`
	DisplayName   *string `json:"display_name"`
	Email         *string `json:"email"`
}

// patchUser suspends or reactivates a user, grants or withdraws platform
// admin, or edits the profile (platform admins). Suspension revokes the
// user's login sessions in the same transaction; its API keys stop working
// because every key lookup checks the owner's status.
func (s *Server) patchUser(c *fiber.Ctx, p *authn.Principal) error {
	u, err := s.visibleUser(c, p)
	if err != nil {
		return err
	}
	if err := authz.Check(p.Scope, authz.UserManage, uuid.Nil); err != nil {
		return err
	}
	var b patchUserBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	var status store.UserStatus
	if b.Status != nil {
		switch status = store.UserStatus(*b.Status); status {
		case store.UserActive, store.UserSuspended:
		default:
			return invalidField("status", `must be "active" or "suspended"`)
		}
		if u.ID == p.User.ID && status == store.UserSuspended {
			return invalidField("status", "you cannot suspend yourself")
		}
	}
	if b.PlatformAdmin != nil && !*b.PlatformAdmin && u.ID == p.User.ID {
		return invalidField("platform_admin", "you cannot withdraw your own platform admin; ask another platform admin")
	}
	ctx := c.UserContext()
	actor := p.Actor(c.IP())
	audit := func(q *store.Queries, action string, details map[string]any) error {
		return q.Audit(ctx, store.AuditEntry{Actor: actor, Action: action, TargetType: "user", TargetID: u.ID.String(), Details: details})
	}
	err = s.deps.Store.InTx(ctx, func(q *store.Queries) error {
		if b.Status != nil && status != u.Status {
			if u, err = q.SetUserStatus(ctx, p.Scope, u.ID, status); err != nil {
				return err
			}
			details := map[string]any{}
			if status == store.UserSuspended {
				n, err := q.RevokeUserLoginSessions(ctx, u.ID)
				if err != nil {
					return err
				}
				details["sessions_revoked"] = n
			}
			action := "user.activate"
			if status == store.UserSuspended {
				action = "user.suspend"
			}
			if err := audit(q, action, details); err != nil {
				return err
			}
		}
		if b.PlatformAdmin != nil && *b.PlatformAdmin != u.PlatformAdmin {
			if u, err = q.SetPlatformAdmin(ctx, p.Scope, u.ID, *b.PlatformAdmin); err != nil {
				return err
			}
			if err := audit(q, "user.update", map[string]any{"platform_admin": u.PlatformAdmin}); err != nil {
				return err
			}
		}
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
			if err := audit(q, "user.update", map[string]any{"display_name": u.DisplayName, "email": u.Email}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.JSON(viewUser(u))
}
