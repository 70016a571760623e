package oidcauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/atrium-hq/atrium/sdk/auth"
)

// BeginLogin returns the provider's authorization URL with fresh state,
// nonce and PKCE challenge, and the blob the core keeps until the callback.
func (p *Plugin) BeginLogin(ctx context.Context, req auth.BeginLoginRequest) (auth.BeginLoginResponse, error) {
	if req.RedirectURL == "" {
		return auth.BeginLoginResponse{}, errors.New("begin login: the core sent no redirect URL; this is a core bug")
	}
	cfg, prov, err := p.discover(ctx)
	if err != nil {
		return auth.BeginLoginResponse{}, fmt.Errorf("begin login: %w", err)
	}
	st := loginState{Version: stateVersion, RedirectURL: req.RedirectURL, Created: p.now().UTC(), Verifier: oauth2.GenerateVerifier()}
	if st.State, err = randomToken(); err != nil {
		return auth.BeginLoginResponse{}, fmt.Errorf("begin login: %w", err)
	}
	if st.Nonce, err = randomToken(); err != nil {
		return auth.BeginLoginResponse{}, fmt.Errorf("begin login: %w", err)
	}
	blob, err := json.Marshal(st)
	if err != nil {
		return auth.BeginLoginResponse{}, fmt.Errorf("begin login: encode state: %w", err)
	}
	authURL := oauthConfig(cfg, prov, req.RedirectURL).AuthCodeURL(st.State,
		oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return auth.BeginLoginResponse{AuthURL: authURL, State: blob}, nil
}

// oauthConfig is the OAuth client for one redirect URL.
func oauthConfig(cfg *settings, prov *oidc.Provider, redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     cfg.clientID,
		ClientSecret: cfg.clientSecret,
		Endpoint:     prov.Endpoint(),
		RedirectURL:  redirectURL,
		Scopes:       cfg.scopes,
	}
}
