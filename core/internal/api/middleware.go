package api

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/problem"
)

// authedHandler is a handler that runs only for an authenticated caller.
type authedHandler func(c *fiber.Ctx, p *authn.Principal) error

// HeaderCSRF carries a login session's CSRF token on cookie-authenticated
// writes.
const HeaderCSRF = "X-CSRF-Token"

func unauthenticated() *problem.Problem {
	return problem.New(http.StatusUnauthorized, problem.Unauthenticated,
		"log in (POST /api/v1/auth/login) or send an API key as Authorization: Bearer atr_…")
}

// auth authenticates the request before h runs: an API key in
// Authorization: Bearer, else the session cookie. API keys are held to
// their scopes; cookie-authenticated writes need the session's CSRF token
// and, when the browser sends one, an Origin equal to the public URL's.
func (s *Server) auth(h authedHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if err := s.authorized(c, p, h); err != nil {
			s.traceDenial(c, p, err)
			return err
		}
		return nil
	}
}

// authorized runs h for p once the key's scope, the Origin and the CSRF
// token allow the request.
func (s *Server) authorized(c *fiber.Ctx, p *authn.Principal, h authedHandler) error {
	if p.Key != nil && !authz.KeyAllowsMethod(p.Key.Scopes, c.Method()) {
		return forbidden(problem.ReadOnlyKey, "this API key has the read scope only; use a key with the write scope")
	}
	if p.Session != nil && !safeMethod(c.Method()) {
		if err := s.checkOrigin(c); err != nil {
			return err
		}
		if !s.deps.Authn.CheckCSRF(p, c.Get(HeaderCSRF)) {
			return forbidden(problem.CSRF, "cookie-authenticated writes need the "+HeaderCSRF+" header from the login response or GET /api/v1/me")
		}
	}
	return h(c, p)
}

// authenticate finds the caller. An Authorization header, when present,
// decides alone: a bad key is not rescued by a cookie.
func (s *Server) authenticate(c *fiber.Ctx) (*authn.Principal, error) {
	ctx := c.UserContext()
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, key, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, unauthenticated()
		}
		return s.deps.Authn.KeyPrincipal(ctx, strings.TrimSpace(key))
	}
	token := c.Cookies(s.cookieName)
	if token == "" {
		return nil, unauthenticated()
	}
	return s.deps.Authn.SessionPrincipal(ctx, token)
}

// checkOrigin refuses a request whose Origin header names another origin
// than the core's public URL. Requests without Origin (non-browser
// clients) pass; browsers send it on every cross-origin and every POST.
func (s *Server) checkOrigin(c *fiber.Ctx) error {
	o := c.Get(fiber.HeaderOrigin)
	if o == "" || o == s.deps.PublicURL {
		return nil
	}
	return forbidden(problem.BadOrigin, "the request's Origin is not this server's public URL (server { public_url })")
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
