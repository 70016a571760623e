package api

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// problemBase prefixes every problem type; each type names one stable kind
// of failure clients may switch on.
const problemBase = "https://atrium.dev/problems/"

// Problem is an RFC 9457 problem detail. Handlers return it as an error and
// the error handler writes it as application/problem+json.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Errors lists field-level problems of a request body.
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError is one invalid field of a request.
type FieldError struct {
	Field string `json:"field"`
	// Rule, when set, is the stable name of the rule the field broke
	// (names.Rule…).
	Rule   string `json:"rule,omitempty"`
	Detail string `json:"detail"`
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// NewProblem builds a problem of the given stable type.
func NewProblem(status int, typ, detail string) *Problem {
	return &Problem{Type: problemBase + typ, Title: http.StatusText(status), Status: status, Detail: detail}
}

// Common problems.
func notFound(detail string) *Problem { return NewProblem(http.StatusNotFound, "not-found", detail) }

func badRequest(detail string) *Problem {
	return NewProblem(http.StatusBadRequest, "bad-request", detail)
}

func invalidField(field, detail string) *Problem {
	p := NewProblem(http.StatusUnprocessableEntity, "invalid", "the request has invalid fields")
	p.Errors = []FieldError{{Field: field, Detail: detail}}
	return p
}

func forbidden(typ, detail string) *Problem { return NewProblem(http.StatusForbidden, typ, detail) }

// fromError maps the sentinel errors of store, authn and authz to problems,
// so handlers return them as they come. Nil means "not one of ours".
func fromError(err error) *Problem {
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
		return NewProblem(http.StatusConflict, "conflict", "that name is already taken")
	case errors.Is(err, store.ErrInvalidCursor):
		return NewProblem(http.StatusBadRequest, "invalid-cursor", "the cursor is not one this server issued; start again without it")
	case errors.Is(err, store.ErrInvalid):
		return NewProblem(http.StatusUnprocessableEntity, "invalid", err.Error())
	case errors.Is(err, authz.ErrForbidden):
		return forbidden("forbidden", err.Error())
	case errors.Is(err, authn.ErrUnauthenticated):
		return unauthenticated()
	case errors.Is(err, authn.ErrWeakPassword):
		return invalidField("password", authn.ErrWeakPassword.Error())
	}
	return nil
}

// errorHandler turns every error a handler returns into problem+json, so
// clients see one error shape whatever failed. It logs only unexpected
// errors, with method and path (never the query, headers or body, which may
// carry credentials).
func errorHandler(log func(msg string, args ...any)) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var p *Problem
		var fe *fiber.Error
		switch {
		case errors.As(err, &p):
		case errors.As(err, &fe):
			p = NewProblem(fe.Code, slug(fe.Code), fe.Message)
		default:
			if p = fromError(err); p != nil {
				break
			}
			log("request failed", "method", c.Method(), "path", c.Path(), "error", err)
			p = NewProblem(http.StatusInternalServerError, "internal", "the server failed to handle the request; the error is in the server log")
		}
		p.Instance = c.Path()
		if p.Status == http.StatusUnauthorized {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="atrium"`)
		}
		c.Status(p.Status)
		c.Set(fiber.HeaderContentType, "application/problem+json")
		return c.JSON(p, "application/problem+json")
	}
}

func slug(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not-found"
	case http.StatusMethodNotAllowed:
		return "method-not-allowed"
	case http.StatusRequestEntityTooLarge:
		return "too-large"
	case http.StatusBadRequest:
		return "bad-request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusTooManyRequests:
		return "rate-limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	return "http-" + http.StatusText(status)
}
