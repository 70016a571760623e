package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// traceDenial leaves a trace of a 404 or 403 answered to a logged-in
// caller — what probing for other organisations' objects looks like: a
// line in the security log, and a per-user, per-minute count in the
// database (store.RecordDenial), with an audit row for the first of each
// minute. Neither holds the query string, headers or body, where
// credentials travel.
func (s *Server) traceDenial(c *fiber.Ctx, p *authn.Principal, err error) {
	status, typ := denialOf(err)
	if status != http.StatusNotFound && status != http.StatusForbidden {
		return
	}
	d := store.Denial{UserID: p.User.ID, Method: c.Method(), Route: c.Route().Path, Status: status, IP: c.IP()}
	args := []any{"user_id", p.User.ID, "method", d.Method, "path", c.Path(), "status", status, "type", typ, "remote", d.IP}
	if p.Key != nil {
		d.APIKeyID = &p.Key.ID
		args = append(args, "api_key_id", p.Key.ID)
	}
	// The trace must not fail with the client's request, nor slow it
	// unduly; it has its own short deadline.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), 2*time.Second)
	defer cancel()
	n, rerr := s.deps.Store.RecordDenial(ctx, d)
	if rerr != nil {
		args = append(args, "record_error", rerr)
	}
	s.security.Warn("request denied", append(args, "denials_this_minute", n)...)
}

// denialOf is the status and problem type err will be answered with.
func denialOf(err error) (int, string) {
	var p *problem.Problem
	if errors.As(err, &p) {
		return p.Status, p.Type
	}
	if p = fromError(err); p != nil {
		return p.Status, p.Type
	}
	return 0, ""
}
