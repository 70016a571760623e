package api

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

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
// carry credentials).
func errorHandler(log func(msg string, args ...any)) fiber.ErrorHandler {
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
			if p = fromError(err); p != nil {
				break
			}
			log("request failed", "method", c.Method(), "path", c.Path(), "error", err)
			p = problem.ForStatus(http.StatusInternalServerError)
		}
		p.Instance = c.Path()
		if p.Status == http.StatusUnauthorized {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="atrium"`)
		}
		return problem.Write(c, p)
	}
}
