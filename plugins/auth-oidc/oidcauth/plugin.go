// Package oidcauth implements Atrium's OpenID Connect auth plugin. It sends
// the browser through the authorization-code flow with PKCE, state and
// nonce, verifies the ID token (issuer, audience, signature algorithm
// allow-list, expiry with a small clock skew, nonce), and turns its claims
// into an identity, failing closed on anything missing or malformed. The
// core keys that identity by issuer and subject and decides roles; this
// package only proves who somebody is.
package oidcauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// Version is the release of this plugin.
const Version = "0.1.0"

// httpTimeout bounds each request to the provider (discovery, keys, token
// exchange), so a hung provider fails a login instead of holding it.
const httpTimeout = 10 * time.Second

// ErrNotConfigured is returned by calls made before Configure succeeded.
var ErrNotConfigured = errors.New("auth-oidc is not configured yet")

// Plugin is the OpenID Connect auth plugin. Create it with New.
type Plugin struct {
	// now is the clock token times are checked against; tests move it.
	now    func() time.Time
	client *http.Client

	mu  sync.Mutex
	cfg *settings
	// provider is discovered on first use and kept, so a provider that is
	// down when the core starts does not stop the core; its key set
	// refetches keys when a token names one it has not seen (rotation).
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	// endSession is the provider's end_session_endpoint, "" if none.
	endSession string
}

var (
	_ auth.Auth            = (*Plugin)(nil)
	_ auth.LogoutURLer     = (*Plugin)(nil)
	_ auth.Refresher       = (*Plugin)(nil)
	_ plugin.HealthChecker = (*Plugin)(nil)
)

// New returns an unconfigured plugin.
func New() *Plugin {
	return &Plugin{now: time.Now, client: &http.Client{Timeout: httpTimeout}}
}

// PluginInfo names the plugin.
func (p *Plugin) PluginInfo() plugin.Info {
	return plugin.Info{Name: "auth-oidc", Version: Version, Description: "Log in through an OpenID Connect provider"}
}

// ConfigSchema describes the config block.
func (p *Plugin) ConfigSchema() schema.Object { return configSchema() }

// Configure checks the config. Discovery happens on first use, not here.
func (p *Plugin) Configure(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	s, err := decodeConfig(req.Config)
	if err != nil {
		return plugin.ConfigureResponse{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg = &s
	p.provider, p.verifier, p.endSession = nil, nil, ""
	return plugin.ConfigureResponse{}, nil
}

// Health reports whether the provider's discovery document answers.
func (p *Plugin) Health(ctx context.Context) error {
	_, _, err := p.discover(ctx)
	return err
}

// discover returns the configuration and the provider, running discovery
// the first time.
func (p *Plugin) discover(ctx context.Context) (*settings, *oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cfg == nil {
		return nil, nil, ErrNotConfigured
	}
	if p.provider != nil {
		return p.cfg, p.provider, nil
	}
	// The key set keeps the context for its later fetches: it must carry
	// the client but not this call's deadline.
	kctx := oidc.ClientContext(context.WithoutCancel(ctx), p.client)
	dctx, cancel := context.WithTimeout(kctx, httpTimeout)
	defer cancel()
	prov, err := oidc.NewProvider(dctx, p.cfg.issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discover OpenID provider %s: %w; check that issuer is right and the provider answers", p.cfg.issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := prov.Claims(&meta); err != nil {
		return nil, nil, fmt.Errorf("read discovery document of %s: %w", p.cfg.issuer, err)
	}
	p.provider = prov
	p.endSession = meta.EndSession
	p.verifier = prov.VerifierContext(kctx, &oidc.Config{
		ClientID:             p.cfg.clientID,
		SupportedSigningAlgs: p.cfg.algs,
		// Expiry is checked in verifyToken, with the configured skew.
		SkipExpiryCheck: true,
	})
	return p.cfg, p.provider, nil
}
