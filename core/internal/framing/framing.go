// Package framing refuses requests whose message framing two HTTP parsers
// could read differently, the root of request smuggling: an ambiguous body
// length, or an ambiguous host. Its middleware runs first on every request
// the core serves (API, web UI, relay, app proxy), before any handler or
// proxy sees the request.
package framing

import (
	"bytes"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/atrium-hq/atrium/core/internal/problem"
)

// Middleware answers 400 problem+json to a request Check refuses and
// closes the connection, so bytes after it (a smuggled second request)
// are never parsed; other requests go on.
func Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if p := Check(&c.Request().Header); p != nil {
			c.Context().SetConnectionClose()
			return problem.Write(c, p)
		}
		return c.Next()
	}
}

// Check returns the problem with h's framing, or nil. It reads the raw
// header block, since fasthttp's parsed header keeps one Host and one
// Content-Length of several. fasthttp's parser already refuses some
// ambiguities itself (with a 400 of its own); Check covers the rest:
//   - Transfer-Encoding together with Content-Length, several of either,
//     or a Transfer-Encoding other than chunked;
//   - several Host fields, or a Host other than the authority of an
//     absolute-form target.
func Check(h *fasthttp.RequestHeader) *problem.Problem {
	var cl, te, hosts int
	chunkedOnly := true
	raw := h.RawHeaders()
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		switch name = bytes.TrimSpace(name); {
		case bytes.EqualFold(name, contentLength):
			cl++
		case bytes.EqualFold(name, transferEncoding):
			te++
			chunkedOnly = bytes.EqualFold(bytes.TrimSpace(value), chunked)
		case bytes.EqualFold(name, host):
			hosts++
		}
	}
	if cl > 1 || te > 1 || (cl > 0 && te > 0) || (te == 1 && !chunkedOnly) {
		return problem.New(http.StatusBadRequest, problem.BadFraming,
			"the request's Content-Length and Transfer-Encoding headers are ambiguous; send exactly one of them (Transfer-Encoding only as chunked)")
	}
	if hosts > 1 {
		return problem.New(http.StatusBadRequest, problem.BadHost, "the request has more than one Host header; send exactly one")
	}
	if a, ok := absoluteAuthority(h.RequestURI()); ok && !bytes.EqualFold(a, h.Host()) {
		return problem.New(http.StatusBadRequest, problem.BadHost, "the Host header differs from the host of the request target; send the same host in both, or a path as the target")
	}
	return nil
}

// absoluteAuthority returns the authority of an absolute-form request
// target ("http://host:port/path"), and whether target is one.
func absoluteAuthority(target []byte) ([]byte, bool) {
	i := bytes.Index(target, []byte("://"))
	if i <= 0 || bytes.IndexByte(target[:i], '/') >= 0 {
		return nil, false
	}
	rest := target[i+3:]
	if j := bytes.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	return rest, true
}

var (
	contentLength    = []byte("Content-Length")
	transferEncoding = []byte("Transfer-Encoding")
	chunked          = []byte("chunked")
	host             = []byte("Host")
)
