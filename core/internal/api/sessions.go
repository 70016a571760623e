package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// Sessions is what the API needs of the session manager.
type Sessions interface {
	Create(ctx context.Context, sc store.Scope, req session.CreateRequest) (store.Session, error)
	Stop(ctx context.Context, sc store.Scope, id uuid.UUID) (store.Session, error)
	Hibernate(ctx context.Context, sc store.Scope, id uuid.UUID) (store.Session, error)
	Resume(ctx context.Context, sc store.Scope, id uuid.UUID) (store.Session, error)
	Delete(ctx context.Context, sc store.Scope, id uuid.UUID, removeHome bool) (store.Session, error)
	Usable(ctx context.Context, sc store.Scope, orgID uuid.UUID) ([]*config.Template, error)
	Kind(ctx context.Context, template string) string
	Watcher() *session.Watcher
}

// sessionView is a session as the API shows it; handles and secrets stay
// inside the core.
type sessionView struct {
	ID       uuid.UUID `json:"id"`
	OrgID    uuid.UUID `json:"org_id"`
	UserID   uuid.UUID `json:"user_id"`
	Template string    `json:"template"`
	// Kind is "vnc" for a desktop, "http" for an app, "" when unknown.
	Kind string `json:"kind"`
	// KindName is the workspace plugin's name for what the session is
	// ("Linux desktop", "VS Code", "Jupyter"), which kind alone cannot
	// tell apart; "" when unknown.
	KindName       string     `json:"kind_name,omitempty"`
	Runtime        string     `json:"runtime"`
	State          string     `json:"state"`
	CPUMillis      int64      `json:"cpu_millis"`
	MemoryBytes    int64      `json:"memory_bytes"`
	CreatedAt      time.Time  `json:"created_at"`
	StartedAt      *time.Time `json:"started_at,omitempty"`
	LastActivityAt *time.Time `json:"last_activity_at,omitempty"`
	StoppedAt      *time.Time `json:"stopped_at,omitempty"`
	Error          string     `json:"error,omitempty"`
	// StartPhase is how far a start or resume under way has got (one of
	// scheduled, image_ready, container_started, waiting_for_app), with
	// the reporter's StartMessage; a failed session keeps the phase it
	// failed in. Absent when no start is under way.
	StartPhase   string     `json:"start_phase,omitempty"`
	StartMessage string     `json:"start_message,omitempty"`
	StartPhaseAt *time.Time `json:"start_phase_at,omitempty"`
}

// viewSession shows s; kind names its workspace's protocol.
func viewSession(s store.Session, kind string) sessionView {
	v := sessionView{
		ID: s.ID, OrgID: s.OrgID, UserID: s.UserID, Template: s.Template, Kind: kind, Runtime: s.Runtime,
		State: string(s.State), CPUMillis: s.CPUMillis, MemoryBytes: s.MemoryBytes,
		CreatedAt: s.CreatedAt, StartedAt: s.StartedAt, LastActivityAt: s.LastActivityAt,
		StoppedAt: s.StoppedAt, Error: s.Error,
		StartMessage: s.StartMessage, StartPhaseAt: s.StartPhaseAt,
	}
	if s.StartPhase != nil {
		v.StartPhase = *s.StartPhase
	}
	return v
}

// templateView is a template a caller may use, with its limits.
type templateView struct {
	Name        string  `json:"name"`
	DisplayName string  `json:"display_name"`
	Description string  `json:"description,omitempty"`
	Workspace   string  `json:"workspace"`
	Kind        string  `json:"kind"`
	KindName    string  `json:"kind_name,omitempty"`
	Runtime     string  `json:"runtime"`
	CPU         float64 `json:"cpu"`
	MemoryBytes int64   `json:"memory_bytes"`
	Pids        int64   `json:"pids"`
	IdleTimeout string  `json:"idle_timeout,omitempty"`
	MaxLifetime string  `json:"max_lifetime,omitempty"`
}

func viewTemplate(t *config.Template, kind string) templateView {
	v := templateView{Name: t.Name, DisplayName: t.DisplayName, Description: t.Description,
		Workspace: t.Workspace, Kind: kind, Runtime: t.Runtime, CPU: t.CPU, MemoryBytes: t.Memory, Pids: t.Pids}
	if t.IdleTimeout > 0 {
		v.IdleTimeout = t.IdleTimeout.String()
	}
	if t.MaxLifetime > 0 {
		v.MaxLifetime = t.MaxLifetime.String()
	}
	return v
}

// callerOrg picks the organisation a request acts in: ?org= or the body's
// org_id when given, else the caller's only organisation.
func callerOrg(p *authn.Principal, given *uuid.UUID) (uuid.UUID, error) {
	if given != nil {
		return *given, nil
	}
	if len(p.Scope.Orgs) == 1 {
		for id := range p.Scope.Orgs {
			return id, nil
		}
	}
	return uuid.Nil, invalidField("org_id", "you belong to several organisations (or none): name one with org_id")
}

// sessionCtx carries the caller's identity into the session manager's
// audit rows.
func sessionCtx(c *fiber.Ctx, p *authn.Principal) context.Context {
	return session.WithActor(c.UserContext(), p.Actor(c.IP()))
}

func (s *Server) listTemplates(c *fiber.Ctx, p *authn.Principal) error {
	given, err := queryID(c, "org")
	if err != nil {
		return err
	}
	org, err := callerOrg(p, given)
	if err != nil {
		return err
	}
	ts, err := s.deps.Sessions.Usable(c.UserContext(), p.Scope, org)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	return c.JSON(listOf(ts, "", func(t *config.Template) templateView {
		v := viewTemplate(t, s.deps.Sessions.Kind(ctx, t.Name))
		v.KindName = s.kindName(ctx, t.Name)
		return v
	}))
}

func (s *Server) listSessions(c *fiber.Ctx, p *authn.Principal) error {
	pg, err := page(c)
	if err != nil {
		return err
	}
	var f store.SessionFilter
	if f.OrgID, err = queryID(c, "org"); err != nil {
		return err
	}
	if f.UserID, err = queryID(c, "user"); err != nil {
		return err
	}
	if c.Query("all") != "true" {
		// Without ?all=true, deleted tombstones are left out.
		f.States = []store.SessionState{store.StatePending, store.StateStarting, store.StateRunning, store.StateHibernating,
			store.StateHibernated, store.StateResuming, store.StateStopping, store.StateStopped, store.StateFailed}
	}
	items, next, err := s.deps.Store.ListSessions(c.UserContext(), p.Scope, f, pg)
	if err != nil {
		return err
	}
	return c.JSON(listOf(items, next, s.viewSession(c.UserContext())))
}

type createSessionBody struct {
	Template string     `json:"template"`
	OrgID    *uuid.UUID `json:"org_id"`
	// UserID lets an org admin start a session for a member.
	UserID *uuid.UUID `json:"user_id"`
}

func (s *Server) createSession(c *fiber.Ctx, p *authn.Principal) error {
	var b createSessionBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	if b.Template == "" {
		return invalidField("template", "name a template; GET /api/v1/templates lists yours")
	}
	org, err := callerOrg(p, b.OrgID)
	if err != nil {
		return err
	}
	owner := p.User.ID
	if b.UserID != nil {
		owner = *b.UserID
	}
	sess, err := s.deps.Sessions.Create(sessionCtx(c, p), p.Scope, session.CreateRequest{OrgID: org, UserID: owner, Template: b.Template})
	if err != nil {
		return err
	}
	return c.Status(http.StatusAccepted).JSON(s.viewSession(c.UserContext())(sess))
}

// viewSession returns the view of sessions with their kinds.
func (s *Server) viewSession(ctx context.Context) func(store.Session) sessionView {
	return func(sess store.Session) sessionView {
		v := viewSession(sess, s.deps.Sessions.Kind(ctx, sess.Template))
		v.KindName = s.kindName(ctx, sess.Template)
		return v
	}
}

// kindName is the template's workspace's display name, or "" without a
// Deps.KindName.
func (s *Server) kindName(ctx context.Context, template string) string {
	if s.deps.KindName == nil {
		return ""
	}
	return s.deps.KindName(ctx, template)
}

func (s *Server) getSession(c *fiber.Ctx, p *authn.Principal) error {
	id, err := pathID(c, "session")
	if err != nil {
		return err
	}
	sess, err := s.deps.Store.GetSession(c.UserContext(), p.Scope, id)
	if err != nil {
		return err
	}
	return c.JSON(s.viewSession(c.UserContext())(sess))
}

// sessionAction runs one of the manager's state changes and answers 202:
// the reconciler carries it out.
func (s *Server) sessionAction(do func(ctx context.Context, sc store.Scope, id uuid.UUID) (store.Session, error)) authedHandler {
	return func(c *fiber.Ctx, p *authn.Principal) error {
		id, err := pathID(c, "session")
		if err != nil {
			return err
		}
		sess, err := do(sessionCtx(c, p), p.Scope, id)
		if err != nil {
			return err
		}
		return c.Status(http.StatusAccepted).JSON(s.viewSession(c.UserContext())(sess))
	}
}

func (s *Server) stopSession(c *fiber.Ctx, p *authn.Principal) error {
	return s.sessionAction(s.deps.Sessions.Stop)(c, p)
}

func (s *Server) hibernateSession(c *fiber.Ctx, p *authn.Principal) error {
	return s.sessionAction(s.deps.Sessions.Hibernate)(c, p)
}

func (s *Server) resumeSession(c *fiber.Ctx, p *authn.Principal) error {
	return s.sessionAction(s.deps.Sessions.Resume)(c, p)
}

func (s *Server) deleteSession(c *fiber.Ctx, p *authn.Principal) error {
	removeHome := c.Query("remove_home") == "true"
	return s.sessionAction(func(ctx context.Context, sc store.Scope, id uuid.UUID) (store.Session, error) {
		return s.deps.Sessions.Delete(ctx, sc, id, removeHome)
	})(c, p)
}

// sessionProblem maps the session manager's errors to problems.
func sessionProblem(err error) *problem.Problem {
	var q *session.QuotaError
	switch {
	case errors.As(err, &q):
		return problem.New(http.StatusConflict, problem.QuotaExceeded, q.Error())
	case errors.Is(err, session.ErrInvalidState):
		return problem.New(http.StatusConflict, problem.InvalidState, err.Error())
	case errors.Is(err, session.ErrCannotAdopt):
		return problem.New(http.StatusConflict, problem.CannotAdopt, err.Error())
	case errors.Is(err, session.ErrHomeInUse):
		return problem.New(http.StatusConflict, problem.HomeInUse, err.Error())
	case errors.Is(err, store.ErrOwnerNotMember):
		p := problem.New(http.StatusNotFound, problem.OwnerNotMember, "a session's owner must be a member of its organisation")
		p.Errors = []problem.FieldError{{Field: "user_id", Detail: "no such user in the organisation; add them to it first"}}
		return p
	}
	return nil
}
