package api

import (
	"time"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// The JSON the API answers with. Views name their fields explicitly, so a
// column added to the store (such as a hash) never leaks by accident.

type userView struct {
	ID            uuid.UUID `json:"id"`
	Username      string    `json:"username"`
	Email         string    `json:"email"`
	DisplayName   string    `json:"display_name"`
	Status        string    `json:"status"`
	PlatformAdmin bool      `json:"platform_admin"`
	HasPassword   bool      `json:"has_password"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func viewUser(u store.User) userView {
	return userView{ID: u.ID, Username: u.Username, Email: u.Email, DisplayName: u.DisplayName,
		Status: string(u.Status), PlatformAdmin: u.PlatformAdmin, HasPassword: u.PasswordHash != nil,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

type orgView struct {
	ID        uuid.UUID `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func viewOrg(o store.Org) orgView {
	return orgView{ID: o.ID, Slug: o.Slug, Name: o.Name, CreatedAt: o.CreatedAt}
}

type memberView struct {
	OrgID       uuid.UUID `json:"org_id"`
	UserID      uuid.UUID `json:"user_id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        string    `json:"role"`
	CreatedAt   time.Time `json:"created_at"`
}

func viewMember(m store.Membership) memberView {
	return memberView{OrgID: m.OrgID, UserID: m.UserID, Username: m.Username, DisplayName: m.DisplayName,
		Role: string(m.Role), CreatedAt: m.CreatedAt}
}

type keyView struct {
	ID         uuid.UUID  `json:"id"`
	UserID     uuid.UUID  `json:"user_id"`
	OrgID      *uuid.UUID `json:"org_id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

func viewKey(k store.APIKey) keyView {
	return keyView{ID: k.ID, UserID: k.UserID, OrgID: k.OrgID, Name: k.Name, Scopes: k.Scopes,
		ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt, CreatedAt: k.CreatedAt}
}

type auditView struct {
	ID          int64          `json:"id"`
	At          time.Time      `json:"at"`
	ActorUserID *uuid.UUID     `json:"actor_user_id"`
	ActorKeyID  *uuid.UUID     `json:"actor_api_key_id"`
	IP          string         `json:"ip,omitempty"`
	OrgID       *uuid.UUID     `json:"org_id"`
	Action      string         `json:"action"`
	TargetType  string         `json:"target_type"`
	TargetID    string         `json:"target_id"`
	Details     map[string]any `json:"details"`
}

func viewAudit(e store.AuditEntry) auditView {
	return auditView{ID: e.ID, At: e.At, ActorUserID: e.UserID, ActorKeyID: e.APIKeyID, IP: e.IP,
		OrgID: e.OrgID, Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, Details: e.Details}
}

type quotaView struct {
	OrgID          uuid.UUID  `json:"org_id"`
	MaxSessions    *int32     `json:"max_sessions"`
	MaxCPUMillis   *int64     `json:"max_cpu_millis"`
	MaxMemoryBytes *int64     `json:"max_memory_bytes"`
	UpdatedAt      *time.Time `json:"updated_at"`
	Usage          usageView  `json:"usage"`
}

type usageView struct {
	Sessions    int64 `json:"sessions"`
	CPUMillis   int64 `json:"cpu_millis"`
	MemoryBytes int64 `json:"memory_bytes"`
}
