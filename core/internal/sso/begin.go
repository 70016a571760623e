package sso

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/sdk/auth"
)

// attemptState is what the core keeps in login_attempts: where to go after
// login, and the plugin's opaque state. Both stay server-side.
type attemptState struct {
	Next        string `json:"next"`
	PluginState []byte `json:"plugin_state"`
}

// Begun is a started login.
type Begun struct {
	// RedirectURL is the provider's authorization URL; send the browser
	// there with 302.
	RedirectURL string
	// AttemptID goes into the short-lived login-attempt cookie.
	AttemptID uuid.UUID
	// ExpiresAt is when the attempt, and so the cookie, expires.
	ExpiresAt time.Time
}

// Begin starts a login through the auth block authName. next is where the
// browser goes after login; anything but a relative path inside Atrium is
// refused (ErrBadNext), before the plugin is asked.
func (s *Service) Begin(ctx context.Context, authName, next string) (Begun, error) {
	next, err := CheckNext(next)
	if err != nil {
		return Begun{}, err
	}
	_, p, err := s.plugin(authName)
	if err != nil {
		return Begun{}, err
	}
	pctx, cancel := loginContext(ctx)
	defer cancel()
	resp, err := p.BeginLogin(pctx, auth.BeginLoginRequest{RedirectURL: s.CallbackURL(authName)})
	if err != nil {
		return Begun{}, fmt.Errorf("start login through %q: %w", authName, err)
	}
	blob, err := json.Marshal(attemptState{Next: next, PluginState: resp.State})
	if err != nil {
		return Begun{}, fmt.Errorf("start login through %q: encode attempt: %w", authName, err)
	}
	expires := time.Now().Add(s.opts.AttemptTTL)
	id, err := s.opts.Store.CreateLoginAttempt(ctx, authName, blob, expires)
	if err != nil {
		return Begun{}, fmt.Errorf("start login through %q: %w", authName, err)
	}
	return Begun{RedirectURL: s.pageWithNext(authName, resp.AuthURL, next), AttemptID: id, ExpiresAt: expires}, nil
}

// pageWithNext hands next on to a plugin that logs in on its own page
// (capability pages): no callback brings the attempt back, so the page's
// query carries next to its form.
func (s *Service) pageWithNext(authName, authURL, next string) string {
	if !strings.HasPrefix(authURL, s.PagesURL(authName)) {
		return authURL
	}
	u, err := url.Parse(authURL)
	if err != nil {
		return authURL
	}
	q := u.Query()
	if q.Get("next") == "" {
		q.Set("next", next)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
