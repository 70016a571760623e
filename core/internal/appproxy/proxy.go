package appproxy

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/access"
	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/sso"
)

// App cookie names. The __Host- prefix (https only) makes browsers refuse
// the cookie unless it is host-only, Secure and Path=/, so no sibling host
// can plant or shadow it.
const (
	SecureAppCookie = "__Host-atrium_app"
	PlainAppCookie  = "atrium_app"
)

// AuthPath is where an app host redeems an OpenApp token.
const AuthPath = "/_atrium/auth"

// PathPrefix starts every app URL in path mode: /apps/{session}/….
const PathPrefix = "/apps/"

// Proxy is the app proxy. Mount Middleware first on the core's Fiber app.
type Proxy struct {
	opts    Options
	o       origins
	secure  bool
	cookie  string // the app cookie's name
	atrium  map[string]bool
	pools   *pools
	sockets *sockets
	grants  *grantCache
	// upstreams caches what each session instance's requests carry upstream.
	upstreams *upstreams
	stop      context.CancelFunc
}

// New builds the proxy. It logs, once, which mode it runs in; path mode
// says loudly that it does not isolate apps from the core.
func New(opts Options) (*Proxy, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	or, err := parseOrigins(o.PublicURL, o.AppDomain)
	if err != nil {
		return nil, err
	}
	p := &Proxy{opts: o, o: or, secure: or.scheme == "https", sockets: newSockets(), grants: newGrantCache(o.GrantCacheTTL)}
	p.upstreams = newUpstreams()
	p.cookie = PlainAppCookie
	if p.secure {
		p.cookie = SecureAppCookie
	}
	// Every cookie name Atrium itself sets, on any host: none of them may
	// reach an app, and no app may set one.
	p.atrium = map[string]bool{}
	for _, n := range []string{SecureAppCookie, PlainAppCookie, authn.SecureCookieName, authn.PlainCookieName,
		sso.SecureAttemptCookie, sso.PlainAttemptCookie} {
		p.atrium[strings.ToLower(n)] = true
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	p.pools = newPools(ctx, p)
	if p.Isolated() {
		o.Logger.Info("app proxy: each session's apps get their own origin", "app_domain", o.AppDomain)
	} else {
		o.Logger.Warn("app proxy in PATH MODE: apps are served under " + PathPrefix + "{session}/ on the core's own origin and are NOT isolated — any app page can call the core's API as its user. Set server { app_domain } (a wildcard DNS name such as *.apps.example.com) for anything but a single-user trial.")
	}
	return p, nil
}

// Isolated reports whether apps get their own origins (app_domain set).
func (p *Proxy) Isolated() bool { return p.o.appSuffix != "" }

// Middleware routes by Host before anything else: a request for an app
// host goes to the proxy and nowhere else, so the core's API and UI are
// never served on an app's origin. In path mode it takes /apps/…. Every
// other request continues to the core's routes, with its body buffered up
// to BodyLimit (see ConfigureServer).
func (p *Proxy) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if p.Isolated() {
			if id, isApp, ok := p.appHost(string(c.Request().Header.Host())); isApp {
				if !ok {
					return refuse(c, refuseNoSuchApp)
				}
				return p.measured(c, func() error { return p.serveAppHost(c, id) })
			}
		} else if strings.HasPrefix(string(c.Request().Header.RequestURI()), PathPrefix) {
			return p.measured(c, func() error { return p.servePath(c) })
		}
		if refused, err := p.bufferBody(c); refused || err != nil {
			return err
		}
		return c.Next()
	}
}

// measured runs serve and records its status and time to the response
// header (a streamed body goes out after serve returns).
func (p *Proxy) measured(c *fiber.Ctx, serve func() error) error {
	start := time.Now()
	err := serve()
	status := c.Response().StatusCode()
	if err != nil {
		status = fiber.StatusInternalServerError
		var fe *fiber.Error
		if errors.As(err, &fe) {
			status = fe.Code
		}
	}
	p.opts.Metrics.Request(status, time.Since(start))
	return err
}

// OpenSockets is the number of app WebSockets this proxy carries now.
func (p *Proxy) OpenSockets() int { return p.sockets.count() }

// appHost reports whether host (a Host header) lies in the app domain,
// and if so whether it names a session: exactly one label, a UUID in
// canonical lower-case form.
func (p *Proxy) appHost(host string) (id uuid.UUID, isApp, ok bool) {
	h := strings.ToLower(host)
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	if !strings.HasSuffix(h, p.o.appSuffix) {
		return uuid.Nil, false, false
	}
	label := h[:len(h)-len(p.o.appSuffix)]
	// uuid.Parse also takes braces, "urn:uuid:" and 32 bare digits; only
	// the 36-character form, lower-cased above, is canonical.
	id, err := uuid.Parse(label)
	if err != nil || len(label) != 36 {
		return uuid.Nil, true, false
	}
	return id, true, true
}

// appOrigin is the origin of a session's app in isolation mode.
func (p *Proxy) appOrigin(id uuid.UUID) string { return p.o.appOrigin(id) }

// CloseSession ends the session's live app WebSockets and drops its pooled
// connections; call it when the session leaves the running state. Cookies
// need no call: every check joins the session's state.
func (p *Proxy) CloseSession(id string) int {
	p.pools.drop(id)
	p.grants.dropSession(id)
	p.upstreams.drop(id)
	return p.sockets.closeSession(id)
}

// Grants lists the grants of the live app WebSockets, each once
// (access.Streams).
func (p *Proxy) Grants() []access.Grant { return p.sockets.grants() }

// Revoke ends the app WebSockets resting on g and forgets the cookies it
// admitted, so this replica's next request asks the database
// (access.Streams).
func (p *Proxy) Revoke(g access.Grant) int {
	p.grants.dropGrant(g)
	return p.sockets.closeWhere(func(s *socket) bool { return s.grant == g })
}

// Shutdown ends every app WebSocket and closes pooled connections.
func (p *Proxy) Shutdown(ctx context.Context) error {
	p.stop()
	p.pools.closeAll()
	return p.sockets.shutdown(ctx)
}
