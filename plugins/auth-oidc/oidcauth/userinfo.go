package oidcauth

import (
	"context"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/atrium-hq/atrium/sdk/auth"
)

// userInfo reads the identity from the provider's UserInfo endpoint, for a
// refresh that returned no ID token. The answer must name the login's
// subject; the claim checks are the ID token's.
func (p *Plugin) userInfo(ctx context.Context, cfg *settings, prov *oidc.Provider, tok *oauth2.Token, subject string) (auth.Identity, error) {
	if prov.UserInfoEndpoint() == "" {
		return auth.Identity{}, refuse("the provider's refresh returned no ID token and it has no UserInfo endpoint to ask instead")
	}
	info, err := prov.UserInfo(oidc.ClientContext(ctx, p.client), oauth2.StaticTokenSource(tok))
	if err != nil {
		return auth.Identity{}, refuse("ask the provider's UserInfo endpoint after refresh: %v", err)
	}
	if info.Subject != subject {
		return auth.Identity{}, refuse("the provider's UserInfo names another subject than the login did")
	}
	var claims map[string]any
	if err := info.Claims(&claims); err != nil {
		return auth.Identity{}, refuse("the UserInfo claims do not parse: %v", err)
	}
	id, err := identityFromClaims(cfg, claims)
	if err != nil {
		return auth.Identity{}, err
	}
	p.mu.Lock()
	id.Issuer = p.cfg.issuer
	p.mu.Unlock()
	id.Subject = info.Subject
	return id, nil
}
