package sso

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/sdk/auth"
)

// pageHeaders are the only request headers a plugin's pages see; cookies
// and credentials stay with the core.
var pageHeaders = []string{fiber.HeaderAccept, fiber.HeaderAcceptLanguage, fiber.HeaderUserAgent}

// page serves GET and POST /auth/:name/pages/* through the plugin. A POST
// from another origin never reaches the plugin.
func (h *handlers) page(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if c.Method() == fiber.MethodPost && !sameOrigin(c, h.s.opts.PublicURL) {
		return problem.Write(c, problem.New(http.StatusForbidden, problem.BadOrigin,
			"a login form may only be posted from this server's own pages: the request's Origin (or Referer) is not its public URL (server { public_url })"))
	}
	query := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { query.Add(string(k), string(v)) })
	form := url.Values{}
	if c.Method() == fiber.MethodPost {
		c.Context().PostArgs().VisitAll(func(k, v []byte) { form.Add(string(k), string(v)) })
	}
	headers := map[string]string{}
	for _, k := range pageHeaders {
		if v := c.Get(k); v != "" {
			headers[k] = v
		}
	}
	cb := Callback{AuthName: c.Params("name"), IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent), PreviousToken: c.Cookies(h.o.SessionCookie)}
	res, err := h.s.Page(c.UserContext(), cb, auth.PageRequest{
		Method: c.Method(), Path: c.Params("*"), Query: query, Form: form, Headers: headers,
	}, query.Get("next"))
	if errors.Is(err, ErrNoPages) {
		return problem.Write(c, problem.New(http.StatusNotFound, problem.NotFound, "this login provider serves no pages"))
	}
	if err != nil {
		return h.fail(c, err)
	}
	if res.Done != nil {
		if res.Done.Session.Token != "" {
			c.Cookie(authn.SessionCookie(h.o.Secure, res.Done.Session.Token, res.Done.Session.ExpiresAt))
		}
		return c.Redirect(res.Done.Next, http.StatusSeeOther)
	}
	p := res.Page
	status := p.Status
	if status == 0 {
		status = http.StatusOK
	}
	if status < 200 || status > 599 || (status >= 300 && status < 400) {
		h.s.log.Error("auth plugin page has a bad status", "auth", cb.AuthName, "status", status)
		return problem.Write(c, problem.New(http.StatusBadGateway, problem.LoginUnavailable, "the login page could not be shown; the error is in the server log"))
	}
	ct := p.ContentType
	if ct == "" {
		ct = "text/html; charset=utf-8"
	}
	for k, v := range p.Headers {
		if k = http.CanonicalHeaderKey(k); !auth.PageHeaderAllowed(k) || strings.ContainsAny(v, "\r\n") {
			h.s.log.Warn("auth plugin page set a header the core does not pass on; only Content-Language and Retry-After, on one line, are", "auth", cb.AuthName, "header", k)
			continue
		}
		c.Set(k, v)
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	return c.Status(status).Send(p.Body)
}
