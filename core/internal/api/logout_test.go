package api

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// ssoSession opens a login session as an auth plugin's login does.
func (w *world) ssoSession(u store.User, authName string, data []byte) caller {
	w.t.Helper()
	token, hash := authn.NewToken()
	csrf := authn.CSRFToken(token)
	_, err := w.st.CreateLoginSession(context.Background(), store.NewLoginSession{TokenHash: hash, CSRFHash: authn.HashToken(csrf),
		UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour), AuthPlugin: authName, PluginSessionData: data})
	if err != nil {
		w.t.Fatal(err)
	}
	return caller{cookie: token, csrf: csrf}
}

// TestLogoutAtProvider: a session an auth plugin opened is revoked here
// first, then logout answers the provider's logout URL; a provider that
// fails, or has none, leaves a plain 204, and the session is revoked all
// the same. ProviderLogout is a FAKE standing in for sso.Service.LogoutURL.
func TestLogoutAtProvider(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	var gotAuth, gotData string
	var revokedFirst bool
	providerErr := error(nil)
	providerURL := "https://idp.example/logout?id_token_hint=x"
	w.srv.deps.ProviderLogout = func(ctx context.Context, authName string, data []byte) (string, error) {
		gotAuth, gotData = authName, string(data)
		var live int
		_ = w.st.Pool().QueryRow(ctx, `SELECT count(*) FROM login_sessions WHERE plugin_session_data = $1 AND revoked_at IS NULL`, data).Scan(&live)
		revokedFirst = live == 0
		return providerURL, providerErr
	}
	isRevoked := func(c caller) bool {
		return w.do(c, "GET", "/api/v1/me", "").status == 401
	}

	c := w.ssoSession(w.userA, "corp", []byte("sd-1"))
	r := w.do(c, "POST", "/api/v1/auth/logout", "", "Origin", "http://atrium.test")
	var v struct {
		LogoutURL string `json:"logout_url"`
	}
	if r.status != 200 {
		t.Fatalf("logout of an SSO session: %d %s; want 200 with logout_url", r.status, r.body)
	}
	r.json(t, &v)
	if v.LogoutURL != providerURL || gotAuth != "corp" || gotData != "sd-1" || !revokedFirst || !isRevoked(c) {
		t.Fatalf("logout_url %q, asked %q with %q, revoked before asking %v, revoked %v", v.LogoutURL, gotAuth, gotData, revokedFirst, isRevoked(c))
	}

	providerErr = errors.New("plugin down")
	c = w.ssoSession(w.userA, "corp", []byte("sd-2"))
	if r := w.do(c, "POST", "/api/v1/auth/logout", "", "Origin", "http://atrium.test"); r.status != 204 || !isRevoked(c) {
		t.Fatalf("logout while the provider fails: %d %s, revoked %v; want 204 and revoked", r.status, r.body, isRevoked(c))
	}
	if !strings.Contains(w.logs.String(), "plugin down") {
		t.Error("the provider's failure was not logged")
	}

	providerErr, providerURL = nil, ""
	c = w.ssoSession(w.userA, "corp", []byte("sd-3"))
	if r := w.do(c, "POST", "/api/v1/auth/logout", "", "Origin", "http://atrium.test"); r.status != 204 || !isRevoked(c) {
		t.Fatalf("logout without a provider URL: %d %s; want 204", r.status, r.body)
	}

	// A password session never asks a provider.
	gotAuth = ""
	c = w.session(w.userA)
	if r := w.do(c, "POST", "/api/v1/auth/logout", "", "Origin", "http://atrium.test"); r.status != 204 || gotAuth != "" {
		t.Fatalf("password logout: %d, provider asked for %q", r.status, gotAuth)
	}
	if n := w.auditCount("auth.logout"); n != 4 {
		t.Fatalf("%d auth.logout audit rows, want 4", n)
	}
}
