package appproxy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/access"
	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/metrics"
	"github.com/atrium-hq/atrium/core/internal/ratelimit"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// Sessions dials a running session's primary port; *session.Manager is
// one. Each call opens a new tunnel, which is why the proxy pools them.
type Sessions interface {
	DialPrimary(ctx context.Context, s store.Session) (session.Connection, error)
	// AppUpstream says what to add to requests for s's app: a plugin call
	// and a decryption, which is why the proxy caches it per instance.
	AppUpstream(ctx context.Context, s store.Session) (session.AppUpstream, error)
}

// Authenticator turns the core's session cookie into a principal; path
// mode needs it, *authn.Service is one.
type Authenticator interface {
	SessionPrincipal(ctx context.Context, token string) (*authn.Principal, error)
}

// Options configure the proxy. Store, Sessions and PublicURL are required;
// Authn is required in path mode (no AppDomain).
type Options struct {
	Store    *store.Store
	Sessions Sessions
	Authn    Authenticator
	// PublicURL is the core's origin (server { public_url }). Its scheme
	// and port are the app hosts' too.
	PublicURL string
	// AppDomain is server { app_domain }, "*.apps.example.com", or "" for
	// path mode.
	AppDomain string
	Logger    hclog.Logger
	// Metrics counts requests and upstream errors; nil counts nothing.
	Metrics *metrics.Apps
	// BodyLimit is the buffered body limit the core's other routes expect
	// (fiber.Config.BodyLimit). Request body streaming is on server-wide
	// for the proxy's sake (ConfigureServer), so the proxy's middleware
	// buffers other routes' bodies up to this and refuses larger ones with
	// 413. Default 1 MiB.
	BodyLimit int
	// MaxConnsPerSession caps the upstream connections (busy and idle) the
	// proxy holds per session; a request waits up to DialTimeout for one.
	// Default 32.
	MaxConnsPerSession int
	// IdleConnTimeout closes pooled upstream connections unused this long.
	// Default 4 s: it must be shorter than the apps' own keep-alive
	// timeout, or the proxy reuses a connection the app has just closed
	// and the browser gets a 502 (Node, so code-server, closes idle
	// connections after 5 s).
	IdleConnTimeout time.Duration
	// StreamIdleTimeout ends a request whose upstream or client sends
	// nothing for this long, in either direction. Default 5 min, so event
	// streams with heartbeats and long polls survive.
	StreamIdleTimeout time.Duration
	// DialTimeout bounds opening a tunnel and the WebSocket handshake.
	// Default 10 s.
	DialTimeout time.Duration
	// TokenTTL is how long an OpenApp link works; at most 60 s, default 30.
	TokenTTL time.Duration
	// AppSessionTTL is how long an app cookie works at most; it never
	// outlives the login session it came from. Default 12 h.
	AppSessionTTL time.Duration
	// GrantCacheTTL is how long this replica trusts a checked app cookie
	// (or, in path mode, core cookie) without asking the database again.
	// It bounds how late a stop or logout takes effect on requests that
	// are already flowing. Default 2 s; negative disables the cache.
	GrantCacheTTL time.Duration
	// SocketStarted, if set, is told the grant of each app WebSocket as it
	// starts, e.g. so access.Revoker checks it once more now that a
	// revocation would find it. It must not block.
	SocketStarted func(access.Grant)
	// Upgrades limits app WebSocket upgrades per client address (each
	// dials a fresh tunnel); past it the proxy answers 429 with
	// Retry-After. Default: a burst of 120, one more every 100 ms.
	Upgrades *ratelimit.Limiter
}

// maxTokenTTL matches the database's CHECK on app_tokens.
const maxTokenTTL = 60 * time.Second

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Store == nil:
		return o, errors.New("app proxy: no Store; pass the core's store")
	case o.Sessions == nil:
		return o, errors.New("app proxy: no Sessions; pass the session manager")
	case o.PublicURL == "":
		return o, errors.New("app proxy: no PublicURL; pass server { public_url }")
	case o.AppDomain == "" && o.Authn == nil:
		return o, errors.New("app proxy: path mode (no app_domain) needs Authn to read the core's session cookie; pass the authn service")
	}
	if o.Upgrades == nil {
		o.Upgrades = ratelimit.New(100*time.Millisecond, 120)
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.IdleConnTimeout, 4*time.Second)
	def(&o.StreamIdleTimeout, 5*time.Minute)
	def(&o.DialTimeout, 10*time.Second)
	def(&o.TokenTTL, 30*time.Second)
	def(&o.AppSessionTTL, 12*time.Hour)
	if o.GrantCacheTTL == 0 {
		o.GrantCacheTTL = 2 * time.Second
	}
	if o.TokenTTL > maxTokenTTL {
		o.TokenTTL = maxTokenTTL
	}
	if o.AppSessionTTL > store.MaxAppSessionTTL {
		o.AppSessionTTL = store.MaxAppSessionTTL
	}
	if o.BodyLimit <= 0 {
		o.BodyLimit = 1 << 20
	}
	if o.MaxConnsPerSession <= 0 {
		o.MaxConnsPerSession = 32
	}
	return o, nil
}

// origins is what the proxy derives from PublicURL and AppDomain.
type origins struct {
	scheme string // "https" or "http"
	// public is the core's origin, scheme://host[:port].
	public string
	// publicHost is the core's host, lower-case, without port.
	publicHost string
	// port is ":port" when PublicURL names one, else "".
	port string
	// appSuffix is ".apps.example.com" in isolation mode, else "".
	appSuffix string
}

func parseOrigins(publicURL, appDomain string) (origins, error) {
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return origins{}, fmt.Errorf("app proxy: server { public_url } %q is not an http(s) origin; set it to e.g. https://atrium.example.com", publicURL)
	}
	o := origins{scheme: u.Scheme, public: u.Scheme + "://" + u.Host, publicHost: strings.ToLower(u.Hostname())}
	if p := u.Port(); p != "" {
		o.port = ":" + p
	}
	if appDomain != "" {
		if !strings.HasPrefix(appDomain, "*.") || strings.Count(appDomain, ".") < 2 {
			return origins{}, fmt.Errorf("app proxy: server { app_domain } %q must look like *.apps.example.com", appDomain)
		}
		o.appSuffix = strings.ToLower(appDomain[1:])
		// config checks it at load; callers that build Options
		// themselves get the same refusal.
		if err := config.CheckAppIsolation(publicURL, appDomain); err != nil {
			return origins{}, fmt.Errorf("app proxy: %w", err)
		}
	}
	return o, nil
}

// ConfigureServer sets what the proxy needs of the Fiber app it runs in:
// request bodies streamed rather than buffered whole (uploads to an app
// can be gigabytes), and multipart bodies left unparsed so they reach the
// app byte for byte. Call it on the core's fiber.Config before fiber.New,
// and mount Proxy.Middleware first, which keeps BodyLimit for every other
// route.
func ConfigureServer(cfg *fiber.Config) {
	cfg.StreamRequestBody = true
	cfg.DisablePreParseMultipartForm = true
}
