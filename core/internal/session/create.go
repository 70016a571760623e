package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// CreateRequest asks for a new session.
type CreateRequest struct {
	OrgID uuid.UUID
	// UserID owns the session; an org admin may create one for a member.
	UserID   uuid.UUID
	Template string
}

// Create admits a session and returns it in state pending; the reconciler
// starts it (the API answers 202). The caller must see the organisation,
// the owner must be allowed the template, and the session must fit the
// organisation's and the owner's quotas, checked in the transaction that
// records it. The workspace's secrets are generated here and stored sealed.
func (m *Manager) Create(ctx context.Context, sc store.Scope, req CreateRequest) (store.Session, error) {
	tpl := m.Template(req.Template)
	if tpl == nil {
		return store.Session{}, fmt.Errorf("create session: %q: %w; list the templates with GET /api/v1/templates", req.Template, ErrTemplateNotFound)
	}
	org, err := m.st.GetOrg(ctx, sc, req.OrgID)
	if err != nil {
		return store.Session{}, fmt.Errorf("create session: %w", err)
	}
	owner, err := m.st.ScopeForUser(ctx, req.UserID)
	if err != nil {
		return store.Session{}, fmt.Errorf("create session: owner: %w", err)
	}
	// Platform admins too: a session mounts its owner's home volume, so
	// it belongs in an organisation the owner is in. The data layer checks
	// again in the admitting transaction.
	if _, member := owner.Orgs[org.ID]; !member {
		return store.Session{}, fmt.Errorf("create session in organisation %s: %w", org.Slug, store.ErrOwnerNotMember)
	}
	if !templateAllows(tpl.Allow, org.Slug, org.ID, owner) {
		return store.Session{}, fmt.Errorf("create session from template %q: %w", tpl.Name, ErrTemplateNotAllowed)
	}
	secrets, err := m.newSecrets(ctx, tpl)
	if err != nil {
		return store.Session{}, err
	}
	sealed, err := m.sealer.Seal(req.OrgID, req.UserID, secrets)
	if err != nil {
		return store.Session{}, err
	}
	n := store.NewSession{
		OrgID: req.OrgID, UserID: req.UserID, Template: tpl.Name, Runtime: tpl.Runtime,
		CPUMillis: cpuMillis(tpl.CPU), MemoryBytes: tpl.Memory, SecretsSealed: sealed,
	}
	actor := actorFrom(ctx, sc)
	var s store.Session
	err = m.st.InTx(ctx, func(q *store.Queries) error {
		if err := q.LockForAdmission(ctx, n.OrgID, n.UserID); err != nil {
			return err
		}
		// Under the admission lock, which a delete that removes the home
		// also takes: no session starts on a volume that is going.
		if pending, err := q.HomeRemovalPending(ctx, n.UserID); err != nil {
			return err
		} else if pending {
			return fmt.Errorf("%w: the home volume is being removed; try again when the deleted session is gone", ErrHomeInUse)
		}
		if err := checkQuota(ctx, q, store.QuotaTarget{Scope: store.QuotaOrg, ID: n.OrgID}, n); err != nil {
			return err
		}
		if err := checkQuota(ctx, q, store.QuotaTarget{Scope: store.QuotaUser, ID: n.UserID}, n); err != nil {
			return err
		}
		var err error
		if s, err = q.CreateSession(ctx, sc, n); err != nil {
			return err
		}
		return auditSession(ctx, q, actor, s, "session.create", map[string]any{
			"template": tpl.Name, "runtime": tpl.Runtime, "user_id": n.UserID.String()})
	})
	if err != nil {
		return store.Session{}, fmt.Errorf("create session: %w", err)
	}
	m.wake()
	return s, nil
}

// checkQuota refuses n if it does not fit the target's limits.
func checkQuota(ctx context.Context, q *store.Queries, t store.QuotaTarget, n store.NewSession) error {
	quota, err := q.GetQuota(ctx, system, t)
	if err != nil {
		return err
	}
	use, err := q.Usage(ctx, t)
	if err != nil {
		return err
	}
	l := quota.Limits
	if l.MaxSessions != nil && use.Sessions+1 > int64(*l.MaxSessions) {
		return &QuotaError{Scope: t.Scope, Limit: "sessions", Max: int64(*l.MaxSessions), Used: use.Sessions, Requested: 1}
	}
	if l.MaxCPUMillis != nil && use.CPUMillis+n.CPUMillis > *l.MaxCPUMillis {
		return &QuotaError{Scope: t.Scope, Limit: "cpu_millis", Max: *l.MaxCPUMillis, Used: use.CPUMillis, Requested: n.CPUMillis}
	}
	if l.MaxMemoryBytes != nil && use.MemoryBytes+n.MemoryBytes > *l.MaxMemoryBytes {
		return &QuotaError{Scope: t.Scope, Limit: "memory_bytes", Max: *l.MaxMemoryBytes, Used: use.MemoryBytes, Requested: n.MemoryBytes}
	}
	return nil
}

// newSecrets generates a fresh value for each secret the template's
// workspace lists.
func (m *Manager) newSecrets(ctx context.Context, tpl *config.Template) (map[string]string, error) {
	ws, err := m.plugins.Workspace(tpl.Workspace)
	if err != nil {
		return nil, fmt.Errorf("create session: workspace %q: %w; try again when the plugin is back", tpl.Workspace, err)
	}
	cctx, cancel := m.callCtx(ctx)
	defer cancel()
	desc, err := ws.Describe(cctx, workspace.DescribeRequest{})
	if err != nil {
		return nil, fmt.Errorf("create session: workspace %q could not describe itself: %w", tpl.Workspace, err)
	}
	out := make(map[string]string, len(desc.Secrets))
	for _, name := range desc.Secrets {
		raw := make([]byte, 24)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("create session: generate secret: %w", err)
		}
		out[name] = base64.RawURLEncoding.EncodeToString(raw)
	}
	return out, nil
}

// cpuMillis converts cores to the thousandths quotas count.
func cpuMillis(cores float64) int64 { return int64(math.Round(cores * 1000)) }
