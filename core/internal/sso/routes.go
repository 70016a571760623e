package sso

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/problem"
)

// Cookie names of the login attempt, host-only like the session cookie.
// Browsers accept the __Host- prefix only on Secure cookies.
const (
	SecureAttemptCookie = "__Host-atrium_login"
	PlainAttemptCookie  = "atrium_login"
)

// RouteOptions configure Routes.
type RouteOptions struct {
	// Secure is true when the core is served over https: cookies are then
	// Secure and __Host- prefixed.
	Secure bool
	// SessionCookie is the login-session cookie's name
	// (authn.CookieName(Secure)); the callback sets it (authn.SessionCookie) and revokes the
	// session it held before.
	SessionCookie string
}

// Routes serves, on r (the /api/v1 group):
//
//	GET /auth/providers          the login providers, for the login page
//	GET /auth/:name/login?next=  302 to the provider, with the attempt cookie
//	GET /auth/:name/callback     login session cookie, then 302 to next
//	GET|POST /auth/:name/pages/* a plugin's own pages (capability pages)
func Routes(r fiber.Router, s *Service, o RouteOptions) {
	h := &handlers{s: s, o: o, attemptCookie: PlainAttemptCookie}
	if o.Secure {
		h.attemptCookie = SecureAttemptCookie
	}
	r.Get("/auth/providers", h.providers)
	r.Get("/auth/:name/login", h.login)
	r.Get("/auth/:name/callback", h.callback)
	// Under /pages/ so a plugin's paths never collide with the core's own
	// login, callback and logout routes.
	r.Get("/auth/:name/pages/*", h.page)
	r.Post("/auth/:name/pages/*", h.page)
}

type handlers struct {
	s             *Service
	o             RouteOptions
	attemptCookie string
}

func (h *handlers) providers(c *fiber.Ctx) error {
	// The shape of every list in the API.
	return c.JSON(fiber.Map{"items": h.s.Providers()})
}

func (h *handlers) login(c *fiber.Ctx) error {
	b, err := h.s.Begin(c.UserContext(), c.Params("name"), c.Query("next"))
	if err != nil {
		return h.fail(c, err)
	}
	c.Cookie(&fiber.Cookie{
		Name: h.attemptCookie, Value: b.AttemptID.String(), Path: "/", Expires: b.ExpiresAt,
		HTTPOnly: true, Secure: h.o.Secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(b.RedirectURL, http.StatusFound)
}

func (h *handlers) callback(c *fiber.Ctx) error {
	attempt := c.Cookies(h.attemptCookie)
	// The attempt is single-use whatever happens next.
	c.Cookie(&fiber.Cookie{
		Name: h.attemptCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HTTPOnly: true, Secure: h.o.Secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
	c.Set(fiber.HeaderCacheControl, "no-store")
	params := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { params.Add(string(k), string(v)) })
	done, err := h.s.Complete(c.UserContext(), Callback{
		AuthName: c.Params("name"), AttemptID: attempt, Params: params,
		IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent), PreviousToken: c.Cookies(h.o.SessionCookie),
	})
	if err != nil {
		return h.fail(c, err)
	}
	if done.Session.Token != "" {
		c.Cookie(authn.SessionCookie(h.o.Secure, done.Session.Token, done.Session.ExpiresAt))
	}
	return c.Redirect(done.Next, http.StatusFound)
}

// fail answers err as problem+json. Only a refusal's reason (why the
// login was refused, which the user needs to act on) reaches the browser;
// any other failure gets a fixed detail, and its text goes to the log.
func (h *handlers) fail(c *fiber.Ctx, err error) error {
	var p *problem.Problem
	switch {
	case errors.Is(err, ErrBadNext):
		p = problem.New(http.StatusBadRequest, problem.BadNext, ErrBadNext.Error())
	case errors.Is(err, ErrUnknownProvider):
		p = problem.New(http.StatusNotFound, problem.NotFound, "no such login provider; GET /api/v1/auth/providers lists them")
	case errors.Is(err, authn.ErrThrottled):
		p = problem.New(http.StatusTooManyRequests, problem.LoginThrottled, err.Error())
	case errors.Is(err, ErrRefused):
		p = problem.New(http.StatusUnauthorized, problem.LoginRefused, err.Error())
	default:
		h.s.log.Error("login failed", "path", c.Path(), "error", err)
		p = problem.New(http.StatusBadGateway, problem.LoginUnavailable, "the login could not be completed; try again shortly, the error is in the server log")
	}
	return problem.Write(c, p)
}
