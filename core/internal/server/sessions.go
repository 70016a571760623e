package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/appproxy"
	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/metrics"
	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/core/internal/sso"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// sessionKeyFile holds the key that seals session secrets at rest when the
// configuration names no secrets_key_file; one core creates it on first
// start, so it serves a single replica only.
const sessionKeyFile = "session-secrets.key"

// loadSecretsKey reads the configured key file, or the state directory's
// own key, creating that one on first start.
func loadSecretsKey(cfg *config.Config) ([]byte, error) {
	if cfg.Server.SecretsKeyFile != "" {
		return session.LoadKey(cfg.Server.SecretsKeyFile)
	}
	return session.LoadOrCreateKey(filepath.Join(cfg.Server.StateDir, sessionKeyFile))
}

// checkSecretsKey records the key's fingerprint in the database on first
// start and refuses a key that differs from the recorded one: a replica
// sealing with another key would break sessions only when someone connects.
func checkSecretsKey(ctx context.Context, st *store.Store, key []byte, file string) error {
	fp := session.KeyFingerprint(key)
	recorded, err := st.ClaimSecretsKeyFingerprint(ctx, fp)
	if err != nil {
		return err
	}
	if recorded != fp {
		where := "the state directory's " + sessionKeyFile
		if file != "" {
			where = file
		}
		return fmt.Errorf("the session secrets key in %s (fingerprint %s) is not the key this database's sessions are sealed with (fingerprint %s): give every core replica the same key with server { secrets_key_file = … }", where, fp, recorded)
	}
	return nil
}

// newSessions builds the session manager from the configuration.
func newSessions(ctx context.Context, cfg *config.Config, st *store.Store, host *pluginhost.Host, m *metrics.Sessions, log hclog.Logger) (*session.Manager, error) {
	key, err := loadSecretsKey(cfg)
	if err != nil {
		return nil, err
	}
	if err := checkSecretsKey(ctx, st, key, cfg.Server.SecretsKeyFile); err != nil {
		return nil, err
	}
	sealer, err := session.NewSealer(key)
	if err != nil {
		return nil, err
	}
	// Web apps are told where browsers reach them (Jupyter's base_url and
	// allowed origin), which only the configuration decides.
	apps, err := appproxy.NewLocator(cfg.Server.PublicURL, cfg.Server.AppDomain)
	if err != nil {
		return nil, err
	}
	return session.New(ctx, session.Options{
		Store: st, Plugins: session.HostPlugins(host), Templates: cfg.Templates, Runtimes: cfg.Runtimes,
		EvalContext: cfg.EvalContext(), Sealer: sealer, Apps: apps, Logger: log, CallTimeout: cfg.Server.PluginTimeout * 6,
		Metrics: m,
	})
}

// ssoWiring is single sign-on as the server wires it: the routes to mount,
// and the service behind them for provider logout and the refresh job
// (see sso_refresh.go).
type ssoWiring struct {
	svc    *sso.Service
	routes func(fiber.Router)
}

// newSSO builds single sign-on through the configured auth plugins.
func newSSO(cfg *config.Config, st *store.Store, host *pluginhost.Host, a *authn.Service, log hclog.Logger) (*ssoWiring, error) {
	svc, err := sso.New(sso.Options{
		Store: st, Auths: cfg.Auths, Plugins: sso.HostPlugins(host), Capable: sso.HostCapable(host),
		PublicURL: cfg.Server.PublicURL, Sessions: loginSessions{a}, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	secure := strings.HasPrefix(cfg.Server.PublicURL, "https://")
	return &ssoWiring{svc: svc, routes: func(v1 fiber.Router) {
		sso.Routes(v1, svc, sso.RouteOptions{Secure: secure, SessionCookie: authn.CookieName(secure)})
	}}, nil
}

// loginSessions opens the login sessions of single sign-on the way password
// logins open theirs.
type loginSessions struct{ a *authn.Service }

func (l loginSessions) OpenLoginSession(ctx context.Context, q *store.Queries, r sso.NewLoginSession) (sso.LoginSession, error) {
	o, err := l.a.OpenSession(ctx, q, authn.NewSession{
		UserID: r.UserID, IP: r.IP, UserAgent: r.UserAgent, PreviousToken: r.PreviousToken,
		AuthPlugin: r.AuthPlugin, PluginData: r.PluginSessionData, ExpiresAt: r.ExpiresAt,
	})
	if err != nil {
		return sso.LoginSession{}, err
	}
	return sso.LoginSession{ID: o.Session.ID, Token: o.Token, CSRFToken: o.CSRFToken, ExpiresAt: o.Session.ExpiresAt}, nil
}
