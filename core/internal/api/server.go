// Package api is Atrium's HTTP surface: the REST API under /api/v1, health
// probes, and (later) the web UI and the relays. Errors are RFC 9457
// problem+json; lists are {"items": [...], "next_cursor": "..."}.
//
// Every route but the few in publicRoutes runs behind Server.auth, and
// every handler reads tenant data through the store with the caller's
// Scope (out of reach: 404) and asks authz before acting (not allowed: 403).
package api

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/appproxy"
	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/clientaddr"
	"github.com/atrium-hq/atrium/core/internal/framing"
	"github.com/atrium-hq/atrium/core/internal/metrics"
	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/web"
)

// Plugins is what the API needs of the plugin host.
type Plugins interface {
	Statuses() []pluginhost.Status
	Healthy() (bool, []string)
	Probe(ctx context.Context, name string) (pluginhost.Status, error)
}

// Deps are the services the API serves from. Store and Authn are required.
type Deps struct {
	Logger  hclog.Logger
	Plugins Plugins
	Store   *store.Store
	Authn   *authn.Service
	// PublicURL is the origin browsers use (server { public_url }): it
	// decides the cookie's name and Secure flag and is the only Origin
	// accepted on cookie-authenticated writes.
	PublicURL string
	// Sessions runs the session lifecycle.
	Sessions Sessions
	// KindName, if set, returns the display name the template's workspace
	// plugin gives itself ("VS Code"), which the UI shows as the session's
	// kind; "" when it cannot tell.
	KindName func(ctx context.Context, template string) string
	// Tickets issues relay tickets.
	Tickets relay.Tickets
	// VNC is the relay's WebSocket handler; it checks its own ticket.
	VNC fiber.Handler
	// Apps opens sessions' web apps (the app proxy); nil answers 503.
	Apps AppOpener
	// AppRouter, when set, runs before every route: it takes the requests
	// meant for sessions' apps (app hosts, /apps/ in path mode) to the app
	// proxy, so the core's own routes never answer on an app host.
	AppRouter fiber.Handler
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (server { trusted_proxies }); see package clientaddr.
	TrustedProxies []netip.Prefix
	// ProviderLogout, if set, returns the logout URL of the provider whose
	// auth plugin opened a login session ("" when it has none); logout
	// calls it after revoking the session.
	ProviderLogout func(ctx context.Context, authName string, sessionData []byte) (string, error)
	// Metrics times every request to the core's own routes; Logins counts
	// password logins. Nil: neither is counted.
	Metrics *metrics.API
	Logins  *metrics.Logins
	// Extra mounts routes other packages own (single sign-on) on /api/v1
	// before the catch-all; they authenticate by themselves.
	Extra func(v1 fiber.Router)
}

// Server is the core's HTTP server.
type Server struct {
	// closing is closed at Shutdown so long-lived streams end.
	closing chan struct{}
	// draining is set by Drain: /readyz fails from then on.
	draining   atomic.Bool
	app        *fiber.App
	deps       Deps
	log        hclog.Logger
	security   hclog.Logger
	secure     bool
	cookieName string
	limits     requestLimits
}

// New builds the server and its routes.
func New(deps Deps) *Server {
	if deps.Logger == nil {
		deps.Logger = hclog.NewNullLogger()
	}
	secure := strings.HasPrefix(deps.PublicURL, "https://")
	s := &Server{deps: deps, log: deps.Logger, security: deps.Logger.Named("security"), limits: newRequestLimits(), secure: secure, cookieName: authn.CookieName(secure), closing: make(chan struct{})}
	cfg := fiber.Config{
		AppName:               "atrium",
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler(s.log),
		ReadTimeout:           30 * time.Second,
		IdleTimeout:           120 * time.Second,
		BodyLimit:             1 << 20,
		// Values from the request outlive handlers (audit rows, the login
		// throttle), so they must not alias fasthttp's reused buffers.
		Immutable: true,
	}
	if deps.AppRouter != nil {
		// The proxy streams request bodies; it re-applies BodyLimit to the
		// core's own routes.
		appproxy.ConfigureServer(&cfg)
	}
	s.app = fiber.New(cfg)
	// First on every request, whatever route or proxy it is for: a
	// request two parsers could frame differently is refused here.
	s.app.Use(framing.Middleware())
	// Before anything counts or logs a client's address.
	s.app.Use(clientaddr.Middleware(deps.TrustedProxies))
	s.app.Use(s.closeWhileDraining)
	if deps.AppRouter != nil {
		s.app.Use(deps.AppRouter)
	}
	// After the app router: app traffic has metrics of its own.
	if deps.Metrics != nil {
		s.app.Use(s.measure)
	}
	s.routes()
	return s
}

// publicRoutes are the routes that answer without authentication, as
// "METHOD path". The cross-organisation test lists them explicitly too.
var publicRoutes = map[string]bool{
	"GET /healthz":            true,
	"GET /readyz":             true,
	"POST /api/v1/auth/login": true,
	"POST /api/v1/setup":      true,
	// The relay checks a single-use ticket bound to user, session and
	// instance instead of a cookie, before it upgrades.
	"GET /api/v1/sessions/:session/vnc": true,
}

func (s *Server) routes() {
	s.app.Get("/healthz", s.healthz)
	s.app.Get("/readyz", s.readyz)
	v1 := s.app.Group("/api/v1", noStore)
	v1.Post("/auth/login", s.login)
	v1.Post("/setup", s.setup)

	v1.Post("/auth/logout", s.auth(s.logout))
	v1.Get("/me", s.auth(s.getMe))
	v1.Patch("/me", s.auth(s.patchMe))

	v1.Get("/orgs", s.auth(s.listOrgs))
	v1.Post("/orgs", s.auth(s.createOrg))
	v1.Get("/orgs/:org", s.auth(s.getOrg))
	v1.Patch("/orgs/:org", s.auth(s.patchOrg))
	v1.Get("/orgs/:org/members", s.auth(s.listMembers))
	v1.Post("/orgs/:org/members", s.auth(s.addMember))
	v1.Patch("/orgs/:org/members/:user", s.auth(s.patchMember))
	v1.Delete("/orgs/:org/members/:user", s.auth(s.removeMember))
	v1.Get("/orgs/:org/quota", s.auth(s.getQuota))
	v1.Put("/orgs/:org/quota", s.auth(s.putQuota))

	v1.Get("/users", s.auth(s.listUsers))
	v1.Post("/users", s.auth(s.createUser))
	v1.Get("/users/:user", s.auth(s.getUser))
	v1.Patch("/users/:user", s.auth(s.patchUser))

	v1.Get("/api-keys", s.auth(s.listAPIKeys))
	v1.Post("/api-keys", s.auth(s.createAPIKey))
	v1.Delete("/api-keys/:key", s.auth(s.revokeAPIKey))

	v1.Get("/audit", s.auth(s.listAudit))

	v1.Get("/plugins", s.auth(s.listPlugins))
	v1.Get("/plugins/:name", s.auth(s.getPlugin))

	v1.Get("/admin/orphans", s.auth(s.listOrphans))
	v1.Post("/admin/orphans/:orphan/adopt", s.auth(s.adoptOrphan))
	v1.Post("/admin/orphans/:orphan/destroy", s.auth(s.destroyOrphan))

	v1.Get("/templates", s.auth(s.listTemplates))
	v1.Get("/sessions", s.auth(s.listSessions))
	v1.Post("/sessions", s.auth(s.limited(s.createSession)))
	v1.Get("/sessions/events", s.auth(s.sessionEvents))
	v1.Get("/sessions/:session", s.auth(s.getSession))
	v1.Delete("/sessions/:session", s.auth(s.deleteSession))
	v1.Post("/sessions/:session/stop", s.auth(s.stopSession))
	v1.Post("/sessions/:session/hibernate", s.auth(s.hibernateSession))
	v1.Post("/sessions/:session/resume", s.auth(s.resumeSession))
	v1.Post("/sessions/:session/connect", s.auth(s.limited(s.connectSession)))
	v1.Post("/sessions/:session/open", s.auth(s.limited(s.openApp)))
	v1.Get("/sessions/:session/vnc", s.vnc)
	if s.deps.Extra != nil {
		s.deps.Extra(v1)
	}

	// The web UI answers what no route matched: GET and HEAD outside /api.
	s.app.Use(web.Handler())

	s.app.Use(func(c *fiber.Ctx) error {
		return notFound(fmt.Sprintf("no route for %s %s", c.Method(), c.Path()))
	})
}

// App exposes the Fiber app for tests.
func (s *Server) App() *fiber.App { return s.app }

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	return s.app.Listener(ln)
}

// Drain marks the core as going away: /readyz fails from now on, so load
// balancers send new work to other replicas, and each answer asks its
// client to close the connection, so none idles here. Everything else is
// still served; Shutdown then stops accepting.
func (s *Server) Drain() {
	s.draining.Store(true)
}

// closeWhileDraining asks for the connection to be closed after each
// answer while the core drains, but a WebSocket upgrade's, whose
// connection the handler took over.
func (s *Server) closeWhileDraining(c *fiber.Ctx) error {
	err := c.Next()
	if s.draining.Load() && c.Response().StatusCode() != fiber.StatusSwitchingProtocols {
		c.Context().SetConnectionClose()
	}
	return err
}

// Shutdown ends long-lived streams, stops accepting connections and waits
// for requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	close(s.closing)
	return s.app.ShutdownWithContext(ctx)
}

// vnc serves the relay; without one (tests of the REST API) the route
// still exists so the route table is the same.
func (s *Server) vnc(c *fiber.Ctx) error {
	if s.deps.VNC == nil {
		return problem.New(http.StatusServiceUnavailable, problem.RelayUnavailable, "this server has no relay")
	}
	return s.deps.VNC(c)
}
