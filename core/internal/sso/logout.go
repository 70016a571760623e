package sso

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/connect"
)

// PostLogoutPath is where a provider sends the browser back after logging
// out there, after the public URL.
const PostLogoutPath = "/login"

// LogoutURL returns where the browser goes to log out at the provider of
// the auth block that opened a login session, given the session's plugin
// data; "" when the block's plugin offers no logout (or the provider has
// none). Call it after revoking the session: its answer must never decide
// whether the session ends.
func (s *Service) LogoutURL(ctx context.Context, authName string, sessionData []byte) (string, error) {
	if authName == "" || !s.opts.Capable(authName, connect.CapLogout) {
		return "", nil
	}
	_, p, err := s.plugin(authName)
	if err != nil {
		return "", err
	}
	pctx, cancel := loginContext(ctx)
	defer cancel()
	resp, err := p.Logout(pctx, auth.LogoutRequest{SessionData: sessionData, PostLogoutRedirectURL: s.opts.PublicURL + PostLogoutPath})
	switch {
	case errors.Is(err, connect.ErrUnsupported):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("ask auth plugin %q for its provider's logout URL: %w", authName, err)
	case resp.LogoutURL == "":
		return "", nil
	}
	u, err := url.Parse(resp.LogoutURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("auth plugin %q returned a logout URL that is not an absolute http(s) URL; this is a plugin bug", authName)
	}
	return resp.LogoutURL, nil
}
