// Package server assembles an Atrium core from its configuration: the state
// directory, the database (migrated), the plugin host and the HTTP API,
// started in that order and stopped in reverse.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/access"
	"github.com/atrium-hq/atrium/core/internal/api"
	"github.com/atrium-hq/atrium/core/internal/appproxy"
	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/metrics"
	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// Options are what Run needs besides the configuration.
type Options struct {
	Logger hclog.Logger
	// Ready, if not nil, is called with the bound address once the core
	// serves.
	Ready func(addr net.Addr)
	// Console receives what the operator must see and the log must never
	// hold: the first-start setup link. Default: os.Stdout.
	Console io.Writer
	// Version is the core's release, told to every plugin.
	Version string
	// Reload, if not nil, asks with each value for the configuration to
	// be read again with LoadConfig and applied where it can be live
	// (SIGHUP; see reload.go).
	Reload     <-chan struct{}
	LoadConfig func() (*config.Config, error)
}

// janitorEvery is how often expired login sessions are deleted.
const janitorEvery = time.Hour

// Run serves Atrium until ctx ends, then shuts down gracefully: it drains
// (see drain), stops the plugins, closes the database pool and stops the
// embedded PostgreSQL last.
func Run(ctx context.Context, cfg *config.Config, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	console := opts.Console
	if console == nil {
		console = os.Stdout
	}
	if err := PrepareStateDir(cfg); err != nil {
		return err
	}

	db, err := OpenDatabase(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := db.Close(stopCtx); err != nil {
			log.Error("stop embedded PostgreSQL", "error", err)
		}
	}()
	if _, err := store.Migrate(ctx, db.URL, log); err != nil {
		return err
	}
	st, err := store.Open(ctx, db.URL, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if res, err := syncTemplates(ctx, cfg, st); err != nil {
		return err
	} else if len(res.Created)+len(res.Updated)+len(res.Deleted) > 0 {
		log.Info("templates synced from configuration", "created", res.Created, "updated", res.Updated, "deleted", res.Deleted)
	}
	setupToken, err := firstStartToken(ctx, st)
	if err != nil {
		return err
	}

	// Socket tunnels live in a short private directory: unix socket paths
	// are limited to 107 bytes, and state directories can be long.
	tunnelDir, err := os.MkdirTemp("", "atrium-tunnels-")
	if err != nil {
		return fmt.Errorf("create tunnel directory: %w", err)
	}
	defer os.RemoveAll(tunnelDir)

	host := pluginhost.New(pluginhost.Options{
		Logger:      log.Named("plugin"),
		Version:     opts.Version,
		TunnelDir:   tunnelDir,
		CallTimeout: cfg.Server.PluginTimeout,
		// A hung plugin shows as unhealthy within one call's bound.
		HealthInterval: cfg.Server.PluginTimeout,
	})
	if err := host.Start(ctx, PluginSpecs(cfg)); err != nil {
		return err
	}
	defer host.Shutdown()

	// Without a metrics listener every handle stays nil and counts nothing.
	var reg *metrics.Registry
	if cfg.Server.MetricsListen != "" {
		reg = metrics.New()
	}
	sessions, err := newSessions(ctx, cfg, st, host, reg.Sessions(), log.Named("session"))
	if err != nil {
		return err
	}
	// The session manager and the relay tracker outlive ctx's end until
	// the HTTP server has drained.
	runCtx, stopRun := context.WithCancel(context.Background())
	managerDone := make(chan struct{})
	go func() { defer close(managerDone); _ = sessions.Run(runCtx) }()
	defer func() { stopRun(); <-managerDone }()

	relays := relay.NewRegistry()
	tickets := api.NewTickets(st)
	vnc, err := vncRelay(cfg.Server, st, sessions, tickets, relays, reg.Relay(), log.Named("relay"))
	if err != nil {
		return err
	}
	authnSvc := authn.NewService(st, authn.DefaultSessionPolicy, log.Named("authn"))
	var revoker *access.Revoker
	apps, err := appproxy.New(appproxy.Options{Store: st, Sessions: sessions, Authn: authnSvc,
		PublicURL: cfg.Server.PublicURL, AppDomain: cfg.Server.AppDomain, Logger: log.Named("apps"), BodyLimit: 1 << 20, Metrics: reg.Apps(),
		SocketStarted: func(g access.Grant) { revoker.Recheck(g.UserID) }})
	if err != nil {
		return err
	}
	live := liveStreams{relays: relays, apps: apps}
	go trackRelays(runCtx, st, sessions.Watcher(), relays, live, log.Named("relay"))
	revoker = startRevoker(runCtx, st, sessions.Watcher(), relays, apps, log.Named("access"))

	ssoW, err := newSSO(cfg, st, host, authnSvc, log.Named("sso"))
	if err != nil {
		return err
	}
	ssoW.startSSORefresh(runCtx)
	if opts.Reload != nil && opts.LoadConfig != nil {
		r := &reloader{running: cfg, load: opts.LoadConfig, st: st, sessions: sessions, sso: ssoW.svc, log: log.Named("config")}
		go r.run(runCtx, opts.Reload)
	}
	srv := api.New(api.Deps{
		Logger: log.Named("api"), Plugins: host, Store: st, Authn: authnSvc, PublicURL: cfg.Server.PublicURL,
		Sessions: sessions, Tickets: tickets, VNC: vnc, Extra: ssoW.routes, ProviderLogout: ssoW.svc.LogoutURL,
		Apps: apps, AppRouter: apps.Middleware(), KindName: newKindNames(cfg, sessions, host).name,
		Metrics: reg.API(), Logins: reg.Logins(),
		TrustedProxies: cfg.Server.TrustedProxies,
	})
	if reg != nil {
		observe(reg, observed{store: st, host: host, sessions: sessions, relays: relays, apps: apps})
		ms, err := metrics.Listen(cfg.Server.MetricsListen, reg, cfg.Server.MetricsBearerToken)
		if err != nil {
			return err
		}
		// Closed last of all (defers run in reverse): metrics keep answering
		// while the core drains.
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := ms.Close(stopCtx); err != nil {
				log.Warn("stop metrics listener", "error", err)
			}
		}()
		log.Info("metrics serving", "addr", ms.Addr().String(), "token", cfg.Server.MetricsBearerToken != "")
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w; free the port or set server { listen }", cfg.Server.Listen, err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("atrium serving", "addr", ln.Addr().String(), "public_url", cfg.Server.PublicURL, "state_dir", filepath.Clean(cfg.Server.StateDir))
	if setupToken != "" {
		// Straight to the console, never through the logger: logs are
		// shipped and kept, and must not hold a credential.
		fmt.Fprintf(console, "Open %s/setup?token=%s to create the first admin (valid %s; or run `atrium admin create-user`)\n",
			cfg.Server.PublicURL, setupToken, authn.SetupTokenTTL)
	}
	if opts.Ready != nil {
		opts.Ready(ln.Addr())
	}
	janitorCtx, stopJanitor := context.WithCancel(ctx)
	defer stopJanitor()
	go janitor(janitorCtx, st, authnSvc, log)

	select {
	case err := <-serveErr:
		return fmt.Errorf("http server stopped: %w", err)
	case <-ctx.Done():
	}
	drain(cfg.Server, srv, relays, apps, log)
	return nil
}

// drain stops the core the way a rolling restart needs: /readyz fails at
// once and, for the grace, the core serves on so load balancers notice;
// then it stops accepting, tells every desktop relay and app WebSocket
// "core restarting" (1001) so browsers reconnect elsewhere, and waits up
// to the drain timeout for API requests in flight. Plugins, the session
// manager and the database stop after it returns (Run's defers).
func drain(cfg config.Server, srv *api.Server, relays *relay.Registry, apps *appproxy.Proxy, log hclog.Logger) {
	log.Info("draining: /readyz fails from now on", "grace", cfg.DrainGrace, "timeout", cfg.DrainTimeout)
	srv.Drain()
	time.Sleep(cfg.DrainGrace)
	log.Info("draining: no longer accepting connections; closing streams")
	ctx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout)
	defer cancel()
	// The HTTP server stops accepting at once and then waits for requests
	// in flight; streams close beside that wait, since the server does not
	// wait for WebSockets (their connections are taken over).
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Shutdown(ctx) }()
	if err := relays.Shutdown(ctx); err != nil {
		log.Warn("close relays", "error", err)
	}
	if err := apps.Shutdown(ctx); err != nil {
		log.Warn("close app connections", "error", err)
	}
	if err := <-httpDone; errors.Is(err, context.DeadlineExceeded) {
		log.Warn("drain timeout passed with requests still in flight; stopping anyway", "timeout", cfg.DrainTimeout)
	} else if err != nil {
		log.Warn("http shutdown", "error", err)
	}
	log.Info("drained")
}

// firstStartToken issues a setup token when the database has no user yet,
// and returns "" otherwise.
func firstStartToken(ctx context.Context, st *store.Store) (string, error) {
	n, err := st.CountUsers(ctx)
	if err != nil {
		return "", err
	}
	if n > 0 {
		return "", nil
	}
	return authn.IssueSetupToken(ctx, st.Queries)
}

// janitor deletes expired login sessions, app grants, relay tickets and
// old denial and failed-login counts now and then.
func janitor(ctx context.Context, st *store.Store, a *authn.Service, log hclog.Logger) {
	t := time.NewTicker(janitorEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := st.DeleteExpiredLogins(ctx, time.Now()); err != nil && ctx.Err() == nil {
				log.Warn("delete expired login sessions", "error", err)
			}
			if _, err := st.DeleteExpiredAppGrants(ctx); err != nil && ctx.Err() == nil {
				log.Warn("delete expired app grants", "error", err)
			}
			if _, err := st.DeleteExpiredRelayTickets(ctx); err != nil && ctx.Err() == nil {
				log.Warn("delete expired relay tickets", "error", err)
			}
			if _, err := st.DeleteOldDenials(ctx); err != nil && ctx.Err() == nil {
				log.Warn("delete old denial counts", "error", err)
			}
			if _, err := a.PruneThrottle(ctx); err != nil && ctx.Err() == nil {
				log.Warn("delete stale failed-login counts", "error", err)
			}
		}
	}
}
