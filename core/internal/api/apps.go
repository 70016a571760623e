package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/appproxy"
	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// AppOpener issues the link that opens a session's web app; the app proxy
// (*appproxy.Proxy) is one.
type AppOpener interface {
	OpenApp(ctx context.Context, s store.Session, userID, loginSessionID uuid.UUID) (appproxy.Opened, error)
}

// openApp answers where the browser goes to open the session's web app:
// on its own origin with a single-use token bound to the caller's login,
// the session and its instance, or under /apps/ in path mode. Only the
// owner opens it, from a browser login (an API key cannot).
func (s *Server) openApp(c *fiber.Ctx, p *authn.Principal) error {
	id, err := pathID(c, "session")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	sess, err := s.deps.Store.GetSession(ctx, p.Scope, id)
	if err != nil {
		return err
	}
	if s.deps.Apps == nil {
		return problem.New(http.StatusServiceUnavailable, problem.AppsUnavailable, "this server has no app proxy")
	}
	var login uuid.UUID
	if p.Session != nil {
		login = p.Session.ID
	}
	o, err := s.deps.Apps.OpenApp(ctx, sess, p.User.ID, login)
	switch {
	case errors.Is(err, appproxy.ErrNotOwner):
		return forbidden(problem.NotOwner, "only the session's owner can open its app")
	case errors.Is(err, appproxy.ErrNoLogin):
		return badRequest(err.Error())
	case errors.Is(err, appproxy.ErrNotRunning):
		return problem.New(http.StatusConflict, problem.NotRunning, "the session is "+string(sess.State)+"; open its app once it is running")
	case errors.Is(err, appproxy.ErrNotHTTP):
		return problem.New(http.StatusConflict, problem.NotAnApp, err.Error())
	case errors.Is(err, appproxy.ErrUnreachable):
		s.log.Warn("open app: session unreachable", "session", sess.ID, "error", err)
		return problem.New(http.StatusBadGateway, problem.AppUnreachable, "the session's app did not answer; retry shortly")
	case err != nil:
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(o)
}
