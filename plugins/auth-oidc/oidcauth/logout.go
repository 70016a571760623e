package oidcauth

import (
	"context"
	"fmt"
	"net/url"

	"github.com/atrium-hq/atrium/sdk/auth"
)

// Logout returns the provider's end-session URL (RP-initiated logout), with
// the ID token as id_token_hint. A provider without an
// end_session_endpoint gets an empty URL: the core then ends only its own
// session.
func (p *Plugin) Logout(ctx context.Context, req auth.LogoutRequest) (auth.LogoutResponse, error) {
	cfg, _, err := p.discover(ctx)
	if err != nil {
		return auth.LogoutResponse{}, fmt.Errorf("logout: %w", err)
	}
	p.mu.Lock()
	endpoint := p.endSession
	p.mu.Unlock()
	if endpoint == "" {
		return auth.LogoutResponse{}, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return auth.LogoutResponse{}, fmt.Errorf("logout: the provider's end_session_endpoint %q does not parse: %w", endpoint, err)
	}
	q := u.Query()
	q.Set("client_id", cfg.clientID)
	if sd, err := decodeSessionData(req.SessionData); err == nil && sd.IDToken != "" {
		q.Set("id_token_hint", sd.IDToken)
	}
	if req.PostLogoutRedirectURL != "" {
		q.Set("post_logout_redirect_uri", req.PostLogoutRedirectURL)
	}
	u.RawQuery = q.Encode()
	return auth.LogoutResponse{LogoutURL: u.String()}, nil
}
