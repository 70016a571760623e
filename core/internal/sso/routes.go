package sso

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/authn"
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
func Routes(r fiber.Router, s *Service, o RouteOptions) {
	h := &handlers{s: s, o: o, attemptCookie: PlainAttemptCookie}
	if o.Secure {
		h.attemptCookie = SecureAttemptCookie
	}
	r.Get("/auth/providers", h.providers)
	r.Get("/auth/:name/login", h.login)
	r.Get("/auth/:name/callback", h.callback)
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
		return problem(c, err)
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
		return problem(c, err)
	}
	if done.Session.Token != "" {
		c.Cookie(authn.SessionCookie(h.o.Secure, done.Session.Token, done.Session.ExpiresAt))
	}
	return c.Redirect(done.Next, http.StatusFound)
}

// problemBase matches the API's RFC 9457 problem types.
const problemBase = "https://atrium.dev/problems/"

// problem answers err as application/problem+json.
func problem(c *fiber.Ctx, err error) error {
	status, typ := http.StatusBadGateway, "login-unavailable"
	switch {
	case errors.Is(err, ErrBadNext):
		status, typ = http.StatusBadRequest, "bad-next"
	case errors.Is(err, ErrUnknownProvider):
		status, typ = http.StatusNotFound, "not-found"
	case errors.Is(err, ErrRefused):
		status, typ = http.StatusUnauthorized, "login-refused"
	}
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.Status(status).JSON(fiber.Map{
		"type": problemBase + typ, "title": http.StatusText(status), "status": status, "detail": err.Error(),
	}, "application/problem+json")
}
