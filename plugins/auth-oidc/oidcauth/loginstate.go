package oidcauth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// maxLoginAge bounds how long a browser may spend at the provider. The core
// expires its login attempts too; this is the plugin's own bound.
const maxLoginAge = 15 * time.Minute

// stateVersion is bumped when loginState changes shape, so a blob from an
// older plugin is refused instead of misread.
const stateVersion = 1

// loginState is what BeginLogin hands the core to keep, server-side and
// bound to the browser, until the callback. It is opaque to the core.
type loginState struct {
	Version int `json:"v"`
	// State is the OAuth state parameter the callback must echo.
	State string `json:"state"`
	// Nonce must come back inside the ID token.
	Nonce string `json:"nonce"`
	// Verifier is the PKCE code verifier.
	Verifier string `json:"pkce_verifier"`
	// RedirectURL is the callback URL the code was requested for.
	RedirectURL string    `json:"redirect_url"`
	Created     time.Time `json:"created"`
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeLoginState parses a blob and checks that it is whole and fresh.
func decodeLoginState(raw []byte, now time.Time) (loginState, error) {
	if len(raw) == 0 {
		return loginState{}, errors.New("no login state: start the login again")
	}
	var s loginState
	if err := json.Unmarshal(raw, &s); err != nil {
		return loginState{}, fmt.Errorf("login state does not parse: %w; start the login again", err)
	}
	if s.Version != stateVersion || s.State == "" || s.Nonce == "" || s.Verifier == "" {
		return loginState{}, errors.New("login state is incomplete or from another plugin version; start the login again")
	}
	if now.Sub(s.Created) > maxLoginAge {
		return loginState{}, fmt.Errorf("login started more than %s ago; start it again", maxLoginAge)
	}
	return s, nil
}
