package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// listAPIKeys lists the caller's keys, or with ?user= those of a user the
// caller can see whose keys it may see (its organisations' keys for org
// admins, all for platform admins). Revoked keys are included.
func (s *Server) listAPIKeys(c *fiber.Ctx, p *authn.Principal) error {
	ctx := c.UserContext()
	userID := p.User.ID
	if id, err := queryID(c, "user"); err != nil {
		return err
	} else if id != nil {
		if _, err := s.deps.Store.GetUser(ctx, p.Scope, *id); err != nil {
			return err
		}
		userID = *id
	}
	ks, err := s.deps.Store.ListAPIKeys(ctx, p.Scope, userID)
	if err != nil {
		return err
	}
	return c.JSON(listOf(ks, "", viewKey))
}

type createKeyBody struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at"`
	OrgID     *uuid.UUID `json:"org_id"`
}

type createdKeyView struct {
	keyView
	// Secret is the key itself, shown in this response only.
	Secret string `json:"secret"`
}

// createAPIKey mints a key for the caller. Only a login session may: a key
// that could mint keys would outlive its own expiry and revocation.
func (s *Server) createAPIKey(c *fiber.Ctx, p *authn.Principal) error {
	if p.Session == nil {
		return forbidden(problem.LoginRequired, "create API keys from a login session, not with another API key")
	}
	var b createKeyBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	if len(b.Scopes) == 0 {
		b.Scopes = []string{authz.ScopeRead}
	}
	for _, sc := range b.Scopes {
		if !authz.ValidKeyScope(sc) {
			return invalidField("scopes", `each scope must be "read" or "write"`)
		}
	}
	slices.Sort(b.Scopes)
	b.Scopes = slices.Compact(b.Scopes)
	if b.ExpiresAt != nil && !b.ExpiresAt.After(time.Now()) {
		return invalidField("expires_at", "must be in the future")
	}
	ctx := c.UserContext()
	if b.OrgID != nil {
		if _, err := s.deps.Store.GetOrg(ctx, p.Scope, *b.OrgID); err != nil {
			return err
		}
		if _, member := p.Scope.Orgs[*b.OrgID]; !member {
			return forbidden(problem.Forbidden, "a key can be limited only to an organisation you belong to")
		}
	}
	var secret string
	var k store.APIKey
	err := s.deps.Store.InTx(ctx, func(q *store.Queries) error {
		var err error
		secret, k, err = authn.MintAPIKey(ctx, q, store.NewAPIKey{UserID: p.User.ID, OrgID: b.OrgID, Name: b.Name, Scopes: b.Scopes, ExpiresAt: b.ExpiresAt})
		if err != nil {
			return err
		}
		return q.Audit(ctx, store.AuditEntry{Actor: p.Actor(c.IP()), OrgID: b.OrgID, Action: "api_key.create",
			TargetType: "api_key", TargetID: k.ID.String(), Details: map[string]any{"name": k.Name, "scopes": k.Scopes, "expires_at": k.ExpiresAt}})
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(http.StatusCreated).JSON(createdKeyView{keyView: viewKey(k), Secret: secret})
}

// revokeAPIKey revokes a key the caller can see: its own, its
// organisations' keys for org admins, any for platform admins.
func (s *Server) revokeAPIKey(c *fiber.Ctx, p *authn.Principal) error {
	id, err := pathID(c, "key")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	err = s.deps.Store.InTx(ctx, func(q *store.Queries) error {
		k, err := q.RevokeAPIKey(ctx, p.Scope, id)
		if err != nil {
			return err
		}
		return q.Audit(ctx, store.AuditEntry{Actor: p.Actor(c.IP()), OrgID: k.OrgID, Action: "api_key.revoke",
			TargetType: "api_key", TargetID: k.ID.String(), Details: map[string]any{"owner": k.UserID.String()}})
	})
	if err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}
