package api

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// Handlers return a *problem.Problem as an error and errorHandler writes
// it; the helpers below make the common ones.

func notFound(detail string) *problem.Problem {
	return problem.New(http.StatusNotFound, problem.NotFound, detail)
}

func badRequest(detail string) *problem.Problem {
	return problem.New(http.StatusBadRequest, problem.BadRequest, detail)
}

func invalidField(field, detail string) *problem.Problem {
	p := problem.New(http.StatusUnprocessableEntity, problem.Invalid, "the request has invalid fields")
	p.Errors = []problem.FieldError{{Field: field, Detail: detail}}
	return p
}

func forbidden(typ problem.Type, detail string) *problem.Problem {
	return problem.New(http.StatusForbidden, typ, detail)
}

// fromError maps the sentinel errors of store, authn and authz to problems,
// so handlers return them as they come. Nil means "not one of ours".
func fromError(err error) *problem.Problem {
	if store.Unavailable(err) {
		return databaseUnavailable()
	}
	if p := sessionProblem(err); p != nil {
		return p
	}
	if p := namesProblem(err); p != nil {
		return p
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		// One answer for "does not exist" and "not yours to see".
		return notFound("no such object, or it is outside your organisations")
	case errors.Is(err, store.ErrConflict):
		return problem.New(http.StatusConflict, problem.Conflict, "that name is already taken")
	case errors.Is(err, store.ErrInvalidCursor):
		return problem.New(http.StatusBadRequest, problem.InvalidCursor, "the cursor is not one this server issued; start again without it")
	case errors.Is(err, store.ErrInvalid):
		return invalidValue(err)
	case errors.Is(err, authz.ErrForbidden):
		return forbidden(problem.Forbidden, err.Error())
	case errors.Is(err, authn.ErrUnauthenticated):
		return unauthenticated()
	case errors.Is(err, authn.ErrWeakPassword):
		return invalidField("password", authn.ErrWeakPassword.Error())
	}
	return nil
}

// databaseRetryAfter is the Retry-After of a database-unavailable answer:
// about how often the core tries PostgreSQL again while it is away.
const databaseRetryAfter = "5"

// databaseUnavailable answers a request that needed PostgreSQL while it
// could not be reached. Nothing was written; no credential was issued or
// accepted (a login or ticket fails closed); the driver's text, which
// names the database's address, stays in the server log.
func databaseUnavailable() *problem.Problem {
	return problem.New(http.StatusServiceUnavailable, problem.DatabaseUnavailable,
		"the database cannot be reached right now, so nothing was done; retry after the Retry-After seconds")
}

// invalidValue answers a value the database refused. The error's text
// names constraints and quotes SQL; only the field and rule the store
// mapped them to reach the client.
func invalidValue(err error) *problem.Problem {
	var fe *store.FieldError
	if errors.As(err, &fe) && fe.Field != "" {
		return invalidField(fe.Field, fe.Detail)
	}
	return problem.New(http.StatusUnprocessableEntity, problem.Invalid, "the request has a value this server does not accept; check it against the API's documentation")
}

// errorHandler turns every error a handler returns into problem+json, so
// clients see one error shape whatever failed. It logs only unexpected
// errors, with method and path (never the query, headers or body, which may
// carry credentials), and a lost database as a warning: an outage is not a
// bug in the request.
func errorHandler(log hclog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var p *problem.Problem
		var fe *fiber.Error
		switch {
		case errors.As(err, &p):
		case errors.As(err, &fe):
			// Fiber's and fasthttp's messages quote the raw request
			// (cookies included) when it does not parse: only the
			// status is kept.
			// The path may be what did not parse: no instance either.
			return problem.Write(c, problem.ForStatus(fe.Code))
		default:
			if store.Unavailable(err) {
				log.Warn("request failed: the database cannot be reached", "method", c.Method(), "path", c.Path(), "error", err)
			}
			if p = fromError(err); p != nil {
				break
			}
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "error", err)
			p = problem.ForStatus(http.StatusInternalServerError)
		}
		p.Instance = c.Path()
		if p.Type == problem.DatabaseUnavailable.URI() {
			c.Set(fiber.HeaderRetryAfter, databaseRetryAfter)
		}
		if p.Status == http.StatusUnauthorized {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="atrium"`)
		}
		return problem.Write(c, p)
	}
}
