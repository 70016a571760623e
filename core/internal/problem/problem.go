// Package problem writes every RFC 9457 problem+json body the core sends:
// the API's errors, the relay's and the app proxy's refusals, single
// sign-on failures and the framing check's 400s. Types come only from the
// catalogue (catalogue.go), so a client can switch on them and they stay
// stable; details are fixed texts chosen where the problem is made, never
// an internal error's text.
package problem

import (
	"encoding/json"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// ContentType is the media type of every problem body.
const ContentType = "application/problem+json"

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Errors lists field-level problems of a request body.
	Errors []FieldError `json:"errors,omitempty"`
	// AppStatus is the status a session's app answered with, when the app
	// proxy refuses because of it (an extension member).
	AppStatus string `json:"app_status,omitempty"`
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

// New builds a problem of type typ.
func New(status int, typ Type, detail string) *Problem {
	return &Problem{Type: typ.URI(), Title: http.StatusText(status), Status: status, Detail: detail}
}

// Write answers p on c. Problems are never cached: they may describe the
// caller's own state.
func Write(c *fiber.Ctx, p *Problem) error {
	c.Status(p.Status)
	c.Set(fiber.HeaderContentType, ContentType)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(p.body())
}

// WriteCtx answers p on a bare fasthttp request, for callbacks that get no
// Fiber context (the WebSocket upgrader's error hook).
func WriteCtx(ctx *fasthttp.RequestCtx, p *Problem) {
	ctx.SetStatusCode(p.Status)
	ctx.SetContentType(ContentType)
	ctx.Response.Header.Set(fiber.HeaderCacheControl, "no-store")
	ctx.SetBody(p.body())
}

func (p *Problem) body() []byte {
	// A Problem holds only strings and ints: it always marshals.
	b, _ := json.Marshal(p)
	return b
}
