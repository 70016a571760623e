package appproxy

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/access"
	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// serveAppHost answers every request to an app host: the token redemption
// at AuthPath, and otherwise the app, for holders of this app's cookie.
func (p *Proxy) serveAppHost(c *fiber.Ctx, id uuid.UUID) error {
	target := string(c.Request().Header.RequestURI())
	if !strings.HasPrefix(target, "/") {
		return refuse(c, refuseTarget)
	}
	if path, _, _ := strings.Cut(target, "?"); path == AuthPath {
		return p.redeem(c, id)
	}
	app, r, err := p.appGrant(c, id)
	if err != nil {
		p.opts.Logger.Warn("app access check failed", "session", id, "error", err)
	}
	if r != nil {
		return refuse(c, *r)
	}
	sess := admitted(c, app)
	if _, r := p.admitApp(c, sess, ""); r != nil {
		return refuse(c, *r)
	}
	return p.forward(c, sess, target, "")
}

// appGrant checks the app cookie against the session the host names.
func (p *Proxy) appGrant(c *fiber.Ctx, id uuid.UUID) (store.AppSession, *refusal, error) {
	cookie := c.Request().Header.Cookie(p.cookie)
	if len(cookie) == 0 {
		return store.AppSession{}, &refuseNotLoggedIn, nil
	}
	key := newGrantKey(cookie, id)
	now := time.Now()
	if s, ok := p.grants.get(key, now); ok {
		return s, nil, nil
	}
	s, err := p.opts.Store.AppSessionByHash(c.UserContext(), key.cred[:], id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.clearAppCookie(c)
		return store.AppSession{}, &refuseNotLoggedIn, nil
	case err != nil:
		return store.AppSession{}, &refuseStore, err
	}
	p.grants.put(key, s, now)
	return s, nil, nil
}

// redeem consumes an OpenApp token on the app's own host, sets the app
// cookie and sends the browser on to next. The token is spent whatever
// happens, so a link shown twice or on the wrong host opens nothing.
func (p *Proxy) redeem(c *fiber.Ctx, id uuid.UUID) error {
	// The token travels in the URL: keep it out of caches and out of the
	// Referer of whatever the next page loads.
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	if c.Method() != fiber.MethodGet {
		return refuse(c, refuseToken)
	}
	token := c.Query("token")
	if token == "" {
		return refuse(c, refuseToken)
	}
	secret, hash := authn.NewToken()
	_, err := p.opts.Store.RedeemAppToken(c.UserContext(), authn.HashToken(token), id, hash, p.opts.AppSessionTTL)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.opts.Logger.Info("app token refused", "session", id, "remote", c.IP())
		return refuse(c, refuseToken)
	case err != nil:
		p.opts.Logger.Warn("redeem app token", "session", id, "error", err)
		return refuse(c, refuseStore)
	}
	c.Cookie(&fiber.Cookie{Name: p.cookie, Value: secret, Path: "/", MaxAge: int(p.opts.AppSessionTTL.Seconds()),
		HTTPOnly: true, Secure: p.secure, SameSite: fiber.CookieSameSiteLaxMode})
	return c.Redirect(safeNext(c.Query("next")), http.StatusSeeOther)
}

func (p *Proxy) clearAppCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: p.cookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HTTPOnly: true, Secure: p.secure, SameSite: fiber.CookieSameSiteLaxMode})
}

// safeNext keeps a redirect on the app's own host: a path starting with
// one slash, without backslashes or control characters (browsers read
// "/\evil" and "//evil" as another host). Anything else becomes "/".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	for _, r := range next {
		if r == '\\' || r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	return next
}

// servePath serves /apps/{session}/… in path mode. The session comes from
// the raw request target, never from the router's cleaned path, which
// would read /apps/A/../B/ as B's.
func (p *Proxy) servePath(c *fiber.Ctx) error {
	raw := string(c.Request().Header.RequestURI())
	rest := raw[len(PathPrefix):]
	if len(rest) < 36 {
		return refuse(c, refuseNoSuchApp)
	}
	idStr, tail := rest[:36], rest[36:]
	id, err := uuid.Parse(idStr)
	if err != nil || id.String() != idStr {
		return refuse(c, refuseNoSuchApp)
	}
	switch {
	case tail == "" || tail[0] == '?':
		// Relative links of the app's root page need the trailing slash.
		return c.Redirect(PathPrefix+idStr+"/"+tail, http.StatusPermanentRedirect)
	case tail[0] != '/':
		return refuse(c, refuseNoSuchApp)
	}
	app, r, err := p.pathGrant(c, id)
	if err != nil {
		p.opts.Logger.Warn("app access check failed", "session", id, "error", err)
	}
	if r != nil {
		return refuse(c, *r)
	}
	sess := admitted(c, app)
	up, r := p.admitApp(c, sess, PathPrefix+idStr)
	if r != nil {
		return refuse(c, *r)
	}
	if up.keepBasePath {
		// The app routes by the whole path (Jupyter's base_url).
		tail = raw
	}
	return p.forward(c, sess, tail, PathPrefix+idStr)
}

// pathGrant checks the core's session cookie: only the session's owner
// opens its app, as only the owner opens its desktop.
func (p *Proxy) pathGrant(c *fiber.Ctx, id uuid.UUID) (store.AppSession, *refusal, error) {
	cookie := c.Request().Header.Cookie(authn.CookieName(p.secure))
	if len(cookie) == 0 {
		return store.AppSession{}, &refuseNotLoggedIn, nil
	}
	key := newGrantKey(cookie, id)
	now := time.Now()
	if a, ok := p.grants.get(key, now); ok {
		return a, nil, nil
	}
	ctx := c.UserContext()
	pr, err := p.opts.Authn.SessionPrincipal(ctx, string(cookie))
	if err != nil {
		if errors.Is(err, authn.ErrUnauthenticated) {
			return store.AppSession{}, &refuseNotLoggedIn, nil
		}
		return store.AppSession{}, &refuseStore, err
	}
	s, err := p.opts.Store.GetSession(ctx, pr.Scope, id)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !authz.AllowedOnSession(pr.Scope, authz.SessionOpen, s)):
		return store.AppSession{}, &refuseNoSuchApp, nil
	case err != nil:
		return store.AppSession{}, &refuseStore, err
	case s.State != store.StateRunning:
		return store.AppSession{}, &refuseNotRunning, nil
	}
	a := store.AppSession{Session: s, Grant: pr.Grant(s.OrgID)}
	p.grants.put(key, a, now)
	return a, nil, nil
}

// grantLocal is the fiber.Ctx local holding the access.Grant of an
// admitted app request, for the WebSocket it may become.
const grantLocal = "atrium.app.grant"

// admitted records the grant of an admitted request and returns its
// session.
func admitted(c *fiber.Ctx, a store.AppSession) store.Session {
	c.Locals(grantLocal, a.Grant)
	return a.Session
}

// grantOf is the grant admitted recorded for c.
func grantOf(c *fiber.Ctx) access.Grant {
	g, _ := c.Locals(grantLocal).(access.Grant)
	return g
}
