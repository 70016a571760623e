package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/metrics"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/store"
)

type loginBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginView struct {
	User      userView  `json:"user"`
	CSRFToken string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// passwordLogin is the login method label of built-in accounts.
const passwordLogin = "password"

// login checks a built-in account's password and sets a fresh session
// cookie. Every refusal is the same 401 problem.
func (s *Server) login(c *fiber.Ctx) error {
	if err := s.checkOrigin(c); err != nil {
		return err
	}
	var b loginBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	res, err := s.deps.Authn.Login(c.UserContext(), authn.LoginRequest{
		Username: b.Username, Password: b.Password, IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent),
		PreviousToken: c.Cookies(s.cookieName),
	})
	switch {
	case errors.Is(err, authn.ErrLoginFailed):
		s.deps.Logins.Login(passwordLogin, metrics.LoginFailed)
		return problem.New(http.StatusUnauthorized, problem.LoginFailed, "wrong username or password")
	case errors.Is(err, authn.ErrThrottled):
		s.deps.Logins.Login(passwordLogin, metrics.LoginThrottled)
		return problem.New(http.StatusTooManyRequests, problem.LoginThrottled, err.Error())
	case err != nil:
		return err
	}
	s.deps.Logins.Login(passwordLogin, metrics.LoginOK)
	s.setSessionCookie(c, res.Token, res.Session.ExpiresAt)
	return c.JSON(loginView{User: viewUser(res.User), CSRFToken: res.CSRFToken, ExpiresAt: res.Session.ExpiresAt})
}

// logoutView answers a logout whose provider wants the browser too.
type logoutView struct {
	// LogoutURL is where the browser goes to log out at the provider.
	LogoutURL string `json:"logout_url"`
}

// logout revokes the login session server-side and clears the cookie. When
// an auth plugin with provider logout opened the session, it answers 200
// with the provider's logout URL for the browser to visit; otherwise 204.
// The provider's answer never keeps the session alive: it is asked after
// the revocation, and a failure is logged and answered without the URL.
func (s *Server) logout(c *fiber.Ctx, p *authn.Principal) error {
	if p.Session == nil {
		return badRequest("logout ends a login session; this request used an API key (revoke it with DELETE /api/v1/api-keys/{id})")
	}
	if err := s.deps.Authn.Logout(c.UserContext(), p, c.IP()); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	if p.Session.AuthPlugin != "" && s.deps.ProviderLogout != nil {
		u, err := s.deps.ProviderLogout(c.UserContext(), p.Session.AuthPlugin, p.Session.PluginSessionData)
		if err != nil {
			s.log.Warn("logged out here, but could not get the provider's logout URL; the provider session stays", "auth", p.Session.AuthPlugin, "error", err)
		}
		if u != "" && err == nil {
			return c.JSON(logoutView{LogoutURL: u})
		}
	}
	return c.SendStatus(http.StatusNoContent)
}

// setSessionCookie writes the login-session cookie (authn.SessionCookie).
func (s *Server) setSessionCookie(c *fiber.Ctx, token string, expires time.Time) {
	c.Cookie(authn.SessionCookie(s.secure, token, expires))
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(authn.SessionCookie(s.secure, "", time.Time{}))
}

type setupBody struct {
	Token    string `json:"token"`
	Username string `json:"username"`
	Password string `json:"password"`
	Email    string `json:"email"`
}

type setupView struct {
	User userView `json:"user"`
	Org  orgView  `json:"org"`
}

// setup creates the first platform admin with the one-time token printed at
// first start, plus a default organisation it administers. The token is
// consumed in the same transaction.
func (s *Server) setup(c *fiber.Ctx) error {
	if err := s.checkOrigin(c); err != nil {
		return err
	}
	var b setupBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	b.Username = strings.TrimSpace(b.Username)
	if b.Username == "" {
		return invalidField("username", "must not be empty")
	}
	hash, err := authn.HashPassword(b.Password)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	var out setupView
	err = s.deps.Store.InTx(ctx, func(q *store.Queries) error {
		if err := q.ConsumeSetupToken(ctx, authn.HashToken(b.Token)); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return forbidden(problem.SetupToken, "the setup token is unknown, expired or used; restart the server with an empty database for a new one, or use `atrium admin create-user`")
			}
			return err
		}
		n, err := q.CountUsers(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return problem.New(http.StatusConflict, problem.AlreadySetUp, "the first admin exists already; log in instead")
		}
		u, o, err := authn.CreateFirstAdmin(ctx, q, store.NewUser{Username: b.Username, Email: b.Email, PasswordHash: &hash}, c.IP())
		out = setupView{User: viewUser(u), Org: viewOrg(o)}
		return err
	})
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(out)
}
