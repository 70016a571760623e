package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/store"
)

func (s *Server) quotaView(c *fiber.Ctx, q store.Quota) error {
	u, err := s.deps.Store.Usage(c.UserContext(), q.Target)
	if err != nil {
		return err
	}
	v := quotaView{OrgID: q.Target.ID, MaxSessions: q.Limits.MaxSessions, MaxCPUMillis: q.Limits.MaxCPUMillis,
		MaxMemoryBytes: q.Limits.MaxMemoryBytes, Usage: usageView{Sessions: u.Sessions, CPUMillis: u.CPUMillis, MemoryBytes: u.MemoryBytes}}
	if !q.UpdatedAt.IsZero() {
		v.UpdatedAt = &q.UpdatedAt
	}
	return c.JSON(v)
}

// getQuota shows an organisation's limits and what its sessions use now.
func (s *Server) getQuota(c *fiber.Ctx, p *authn.Principal) error {
	o, err := s.visibleOrg(c, p, authz.QuotaRead)
	if err != nil {
		return err
	}
	q, err := s.deps.Store.GetQuota(c.UserContext(), p.Scope, store.QuotaTarget{Scope: store.QuotaOrg, ID: o.ID})
	if err != nil {
		return err
	}
	return s.quotaView(c, q)
}

type putQuotaBody struct {
	MaxSessions    *int32 `json:"max_sessions"`
	MaxCPUMillis   *int64 `json:"max_cpu_millis"`
	MaxMemoryBytes *int64 `json:"max_memory_bytes"`
}

// putQuota replaces an organisation's limits (platform admins); a null or
// absent limit means unlimited.
func (s *Server) putQuota(c *fiber.Ctx, p *authn.Principal) error {
	o, err := s.visibleOrg(c, p, authz.QuotaWrite)
	if err != nil {
		return err
	}
	var b putQuotaBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	ctx := c.UserContext()
	var q store.Quota
	err = s.deps.Store.InTx(ctx, func(tx *store.Queries) error {
		if q, err = tx.SetQuota(ctx, p.Scope, store.QuotaTarget{Scope: store.QuotaOrg, ID: o.ID},
			store.Limits{MaxSessions: b.MaxSessions, MaxCPUMillis: b.MaxCPUMillis, MaxMemoryBytes: b.MaxMemoryBytes}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Actor: p.Actor(c.IP()), OrgID: &o.ID, Action: "quota.update",
			TargetType: "org", TargetID: o.ID.String(), Details: map[string]any{
				"max_sessions": b.MaxSessions, "max_cpu_millis": b.MaxCPUMillis, "max_memory_bytes": b.MaxMemoryBytes}})
	})
	if err != nil {
		return err
	}
	return s.quotaView(c, q)
}
