package oidcauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/plugins/auth-oidc/oidcauth"
	"github.com/atrium-hq/atrium/plugins/auth-oidc/oidcfake"
	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"
)

const (
	clientID     = "atrium"
	clientSecret = "s3cret"
	redirectURL  = "https://atrium.example/api/v1/auth/corp/callback"
)

// env is the fake provider and the plugin served over gRPC.
type env struct {
	op   *oidcfake.Provider
	base connect.Base
	auth connect.Auth
}

// newEnv configures the plugin against a fresh fake provider; edit changes
// the config before it is sent.
func newEnv(t *testing.T, edit func(map[string]any)) *env {
	t.Helper()
	op := oidcfake.New(t, clientID, clientSecret)
	base, a := plugintest.ServeAuth(t, oidcauth.New())
	cfg := map[string]any{
		"issuer": op.Issuer, "client_id": clientID, "client_secret": clientSecret,
		"allowed_email_domains": []string{"corp.com"},
	}
	if edit != nil {
		edit(cfg)
	}
	raw, _ := json.Marshal(cfg)
	if err := base.Configure(ctx(t), plugin.ConfigureRequest{Config: raw, Instance: "corp"}); err != nil {
		t.Fatalf("configure: %v", err)
	}
	return &env{op: op, base: base, auth: a}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// noRedirects is a client that stops at the first redirect, like a test
// standing in for the browser.
var noRedirects = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// begin starts a login and follows the browser to the fake provider, which
// redirects straight back; it returns the state blob and callback params.
func (e *env) begin(t *testing.T) ([]byte, url.Values) {
	t.Helper()
	b, err := e.auth.BeginLogin(ctx(t), auth.BeginLoginRequest{RedirectURL: redirectURL})
	if err != nil {
		t.Fatalf("begin login: %v", err)
	}
	resp, err := noRedirects.Get(b.AuthURL)
	if err != nil {
		t.Fatalf("visit provider: %v", err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), redirectURL) {
		t.Fatalf("provider answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return b.State, loc.Query()
}

func (e *env) complete(t *testing.T, state []byte, params url.Values) (auth.CompleteLoginResponse, error) {
	t.Helper()
	return e.auth.CompleteLogin(ctx(t), auth.CompleteLoginRequest{RedirectURL: redirectURL, Params: params, State: state})
}

// login runs the whole flow.
func (e *env) login(t *testing.T) (auth.CompleteLoginResponse, error) {
	t.Helper()
	state, params := e.begin(t)
	return e.complete(t, state, params)
}

func wantRefused(t *testing.T, err error, fragment string) {
	t.Helper()
	if err == nil {
		t.Fatalf("login succeeded; want it refused with %q", fragment)
	}
	if !strings.Contains(err.Error(), fragment) {
		t.Fatalf("error %q does not mention %q", err, fragment)
	}
}

func TestLoginProvesIdentity(t *testing.T) {
	e := newEnv(t, nil)
	e.op.SetClaims(map[string]any{"sub": "u-1", "email": "Ann@Corp.com", "email_verified": true, "name": "Ann", "preferred_username": "ann", "groups": []any{"eng", "ops", "eng"}})

	b, err := e.auth.BeginLogin(ctx(t), auth.BeginLoginRequest{RedirectURL: redirectURL})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(b.AuthURL)
	q := u.Query()
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			t.Errorf("authorization URL lacks %s: %s", k, b.AuthURL)
		}
	}
	if q.Get("code_challenge_method") != "S256" || !strings.Contains(q.Get("scope"), "openid") {
		t.Errorf("authorization URL: want S256 PKCE and openid scope: %s", b.AuthURL)
	}
	if strings.Contains(string(b.State), clientSecret) {
		t.Error("state blob carries the client secret")
	}

	got, err := e.login(t)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	want := auth.Identity{Issuer: e.op.Issuer, Subject: "u-1", Email: "Ann@Corp.com", EmailVerified: true, Name: "Ann", Username: "ann", Groups: []string{"eng", "ops"}}
	if g := got.Identity; g.Issuer != want.Issuer || g.Subject != want.Subject || g.Email != want.Email || !g.EmailVerified ||
		g.Name != want.Name || g.Username != want.Username || strings.Join(g.Groups, ",") != "eng,ops" {
		t.Fatalf("identity = %+v, want %+v", g, want)
	}
	if len(got.SessionData) == 0 {
		t.Error("no session data for logout")
	}
}

func TestCallbackStateRefusals(t *testing.T) {
	e := newEnv(t, nil)
	t.Run("missing", func(t *testing.T) {
		state, params := e.begin(t)
		params.Del("state")
		_, err := e.complete(t, state, params)
		wantRefused(t, err, "no state parameter")
	})
	t.Run("mismatched", func(t *testing.T) {
		state, params := e.begin(t)
		params.Set("state", "not-the-state")
		_, err := e.complete(t, state, params)
		wantRefused(t, err, "state does not match")
	})
	t.Run("another browser's", func(t *testing.T) {
		stateA, _ := e.begin(t)
		_, paramsB := e.begin(t)
		_, err := e.complete(t, stateA, paramsB)
		wantRefused(t, err, "state does not match")
	})
	t.Run("no blob", func(t *testing.T) {
		_, params := e.begin(t)
		_, err := e.complete(t, nil, params)
		wantRefused(t, err, "no login state")
	})
	t.Run("code reused", func(t *testing.T) {
		state, params := e.begin(t)
		if _, err := e.complete(t, state, params); err != nil {
			t.Fatal(err)
		}
		_, err := e.complete(t, state, params)
		wantRefused(t, err, "exchange the authorization code")
	})
	t.Run("provider error", func(t *testing.T) {
		state, _ := e.begin(t)
		_, err := e.complete(t, state, url.Values{"error": {"access_denied"}, "error_description": {"user said no\nFAKE LOG LINE"}})
		wantRefused(t, err, `"access_denied": user said noFAKE LOG LINE`)
	})
	t.Run("other redirect URL", func(t *testing.T) {
		state, params := e.begin(t)
		_, err := e.auth.CompleteLogin(ctx(t), auth.CompleteLoginRequest{RedirectURL: redirectURL + "x", Params: params, State: state})
		wantRefused(t, err, "not the one the login started with")
	})
}

func TestTokenRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(h, c map[string]any)
		want   string
	}{
		{"nonce mismatch", func(_, c map[string]any) { c["nonce"] = "replayed" }, "nonce does not match"},
		{"nonce missing", func(_, c map[string]any) { delete(c, "nonce") }, "nonce does not match"},
		{"wrong issuer", func(_, c map[string]any) { c["iss"] = "https://evil.example" }, "issued by a different provider"},
		{"wrong audience", func(_, c map[string]any) { c["aud"] = "someone-else" }, "expected audience"},
		{"alg none", func(h, _ map[string]any) { h["alg"] = "none"; delete(h, "kid") }, "failed verification"},
		{"alg HS256", func(h, _ map[string]any) { h["alg"] = "HS256" }, "failed verification"},
		{"expired", func(_, c map[string]any) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() }, "expired at"},
		{"no expiry", func(_, c map[string]any) { delete(c, "exp") }, "no expiry"},
		{"issued in the future", func(_, c map[string]any) { c["iat"] = time.Now().Add(10 * time.Minute).Unix() }, "issued in the future"},
		{"not yet valid", func(_, c map[string]any) { c["nbf"] = time.Now().Add(10 * time.Minute).Unix() }, "not valid before"},
		{"several audiences without azp", func(_, c map[string]any) { c["aud"] = []string{clientID, "other"} }, "several audiences"},
		{"foreign azp", func(_, c map[string]any) { c["azp"] = "other" }, "authorized party"},
		{"evilcorp.com against corp.com", func(_, c map[string]any) { c["email"] = "mallory@evilcorp.com" }, `domain "evilcorp.com" is not allowed`},
		{"subdomain against corp.com", func(_, c map[string]any) { c["email"] = "mallory@x.corp.com" }, `domain "x.corp.com" is not allowed`},
		{"domain hidden before the last @", func(_, c map[string]any) { c["email"] = "a@corp.com@evil.example" }, `domain "evil.example" is not allowed`},
		{"email missing", func(_, c map[string]any) { delete(c, "email") }, `no "email" claim`},
		{"email not a string", func(_, c map[string]any) { c["email"] = []string{"a@corp.com"} }, `claim "email" is a list`},
		{"email unverified", func(_, c map[string]any) { c["email_verified"] = false }, "is verified"},
		{"email_verified as a string", func(_, c map[string]any) { c["email_verified"] = "true" }, "email_verified is a string"},
		{"groups missing", func(_, c map[string]any) { delete(c, "groups") }, `no "groups" claim`},
		{"groups a string", func(_, c map[string]any) { c["groups"] = "admins" }, `claim "groups" is a string`},
		{"group not a string", func(_, c map[string]any) { c["groups"] = []any{"a", 7} }, "element 1"},
		{"name not a string", func(_, c map[string]any) { c["name"] = 42 }, `claim "name" is a number`},
		{"empty subject", func(_, c map[string]any) { c["sub"] = "" }, "subject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.op.Tamper(tc.tamper)
			_, err := e.login(t)
			wantRefused(t, err, tc.want)
			wantRefused(t, err, "login refused")
		})
	}
}

func TestSmallClockSkewIsAllowed(t *testing.T) {
	e := newEnv(t, func(c map[string]any) { c["clock_skew"] = "1m" })
	e.op.Tamper(func(_, c map[string]any) { c["exp"] = time.Now().Add(-20 * time.Second).Unix() })
	if _, err := e.login(t); err != nil {
		t.Fatalf("a token 20s past expiry with 1m skew: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := e.login(t); err != nil {
		t.Fatal(err)
	}
	e.op.RotateKey(t)
	if _, err := e.login(t); err != nil {
		t.Fatalf("login after the provider rotated its key: %v", err)
	}
}

func TestClaimNamesAndOptionalGroups(t *testing.T) {
	e := newEnv(t, func(c map[string]any) {
		c["email_claim"], c["groups_claim"], c["require_email_verified"] = "mail", "", false
		c["allowed_email_domains"] = []string{"CORP.com"}
	})
	e.op.SetClaims(map[string]any{"sub": "u-2", "mail": "bob@corp.COM"})
	got, err := e.login(t)
	if err != nil {
		t.Fatal(err)
	}
	if got.Identity.Email != "bob@corp.COM" || got.Identity.EmailVerified || got.Identity.Groups != nil {
		t.Fatalf("identity = %+v", got.Identity)
	}
}

func TestConfigRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]any
		want string
	}{
		{"alg none", map[string]any{"signing_algs": []string{"RS256", "none"}}, `"none" would accept unsigned`},
		{"HMAC alg", map[string]any{"signing_algs": []string{"HS256"}}, `"HS256" is not supported`},
		{"plain http issuer", map[string]any{"issuer": "http://idp.example"}, "plain http"},
		{"no client id", map[string]any{"client_id": ""}, "client_id is empty"},
		{"wildcard domain", map[string]any{"allowed_email_domains": []string{"*.corp.com"}}, "is not a domain"},
		{"huge skew", map[string]any{"clock_skew": "1h"}, "outside 0 to 5m"},
		{"unknown attribute", map[string]any{"issuer_url": "x"}, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, _ := plugintest.ServeAuth(t, oidcauth.New())
			cfg := map[string]any{"issuer": "https://idp.example", "client_id": clientID}
			for k, v := range tc.cfg {
				cfg[k] = v
			}
			raw, _ := json.Marshal(cfg)
			err := base.Configure(ctx(t), plugin.ConfigureRequest{Config: raw})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("configure = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t, nil)
	got, err := e.login(t)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.auth.Logout(ctx(t), auth.LogoutRequest{SessionData: got.SessionData, PostLogoutRedirectURL: "https://atrium.example/"})
	if err != nil || out.LogoutURL != "" {
		t.Fatalf("logout without end_session_endpoint = %q, %v; want no URL", out.LogoutURL, err)
	}

	e2 := newEnv(t, nil)
	e2.op.AdvertiseEndSession()
	got, err = e2.login(t)
	if err != nil {
		t.Fatal(err)
	}
	out, err = e2.auth.Logout(ctx(t), auth.LogoutRequest{SessionData: got.SessionData, PostLogoutRedirectURL: "https://atrium.example/"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(out.LogoutURL)
	if !strings.HasPrefix(out.LogoutURL, e2.op.Issuer+"/logout?") || u.Query().Get("id_token_hint") == "" ||
		u.Query().Get("post_logout_redirect_uri") != "https://atrium.example/" || u.Query().Get("client_id") != clientID {
		t.Fatalf("logout URL = %s", out.LogoutURL)
	}
}

func TestHealthNeedsDiscovery(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.base.Health(ctx(t)); err != nil {
		t.Fatalf("health: %v", err)
	}
	base, _ := plugintest.ServeAuth(t, oidcauth.New())
	raw, _ := json.Marshal(map[string]any{"issuer": "http://127.0.0.1:1", "client_id": clientID})
	if err := base.Configure(ctx(t), plugin.ConfigureRequest{Config: raw}); err != nil {
		t.Fatalf("configure must not need the provider: %v", err)
	}
	if err := base.Health(ctx(t)); err == nil || !strings.Contains(err.Error(), "discover OpenID provider") {
		t.Fatalf("health with no provider = %v", err)
	}
}

// TestRefresh: with refresh on, a login keeps a sealed refresh token, and
// Refresh returns the provider's current identity, re-checked like a
// login's; a refused or revoked token, a changed subject and a domain
// that is no longer allowed are refusals.
func TestRefresh(t *testing.T) {
	e := newEnv(t, func(c map[string]any) { c["refresh"] = true })
	info, err := e.base.Info(ctx(t))
	if err != nil || !info.Has(connect.CapRefresh) {
		t.Fatalf("Info: %+v, %v; want the refresh capability", info, err)
	}
	e.op.SetClaims(map[string]any{"sub": "ann", "email": "ann@corp.com", "email_verified": true, "groups": []any{"eng"}})
	login, err := e.login(t)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	var sd map[string]any
	if err := json.Unmarshal(login.SessionData, &sd); err != nil || sd["sealed"] != true || sd["rt"] == "" || sd["sub"] != "ann" {
		t.Fatalf("session data %s: want a sealed refresh token and the subject", login.SessionData)
	}

	e.op.SetClaims(map[string]any{"sub": "ann", "email": "ann@corp.com", "email_verified": true, "groups": []any{"eng", "ops"}})
	r, err := e.auth.Refresh(ctx(t), auth.RefreshRequest{SessionData: login.SessionData})
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if r.Identity.Subject != "ann" || r.Identity.Issuer != e.op.Issuer || strings.Join(r.Identity.Groups, ",") != "eng,ops" {
		t.Fatalf("refreshed identity %+v; want ann with eng,ops", r.Identity)
	}
	// The provider rotated the token: the old one is spent.
	if _, err := e.auth.Refresh(ctx(t), auth.RefreshRequest{SessionData: login.SessionData}); err == nil || !strings.Contains(err.Error(), "refused to refresh") {
		t.Fatalf("refresh with a spent token: %v; want a refusal", err)
	}
	next := r.SessionData

	e.op.SetClaims(map[string]any{"sub": "ann", "email": "ann@evilcorp.com", "email_verified": true, "groups": []any{}})
	if _, err := e.auth.Refresh(ctx(t), auth.RefreshRequest{SessionData: next}); !errors.Is(err, auth.ErrRefreshRefused) || !strings.Contains(err.Error(), `"evilcorp.com" is not allowed`) {
		t.Fatalf("refresh into a foreign domain: %v; want the domain check", err)
	}

	// Each refused refresh above spent its token; log in again for the
	// remaining cases.
	e.op.SetClaims(map[string]any{"sub": "ann", "email": "ann@corp.com", "email_verified": true, "groups": []any{}})
	login, err = e.login(t)
	if err != nil {
		t.Fatal(err)
	}
	e.op.SetClaims(map[string]any{"sub": "bob", "email": "bob@corp.com", "email_verified": true, "groups": []any{}})
	if _, err := e.auth.Refresh(ctx(t), auth.RefreshRequest{SessionData: login.SessionData}); err == nil || !strings.Contains(err.Error(), "another subject") {
		t.Fatalf("refresh naming another subject: %v; want a refusal", err)
	}

	e.op.SetClaims(map[string]any{"sub": "ann", "email": "ann@corp.com", "email_verified": true, "groups": []any{}})
	login, err = e.login(t)
	if err != nil {
		t.Fatal(err)
	}
	e.op.RevokeRefreshTokens()
	if _, err := e.auth.Refresh(ctx(t), auth.RefreshRequest{SessionData: login.SessionData}); !errors.Is(err, auth.ErrRefreshRefused) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("refresh after the provider revoked: %v; want ErrRefreshRefused with invalid_grant", err)
	}
}

// TestRefreshOff: without refresh = true the plugin asks for no
// offline_access, keeps no refresh token, and Refresh says it cannot.
func TestRefreshOff(t *testing.T) {
	e := newEnv(t, nil)
	b, err := e.auth.BeginLogin(ctx(t), auth.BeginLoginRequest{RedirectURL: redirectURL})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.AuthURL, "offline_access") {
		t.Fatalf("auth URL asks for offline_access with refresh off: %s", b.AuthURL)
	}
	login, err := e.login(t)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(login.SessionData), `"rt"`) {
		t.Fatalf("session data keeps a refresh token with refresh off: %s", login.SessionData)
	}
	if _, err := e.auth.Refresh(ctx(t), auth.RefreshRequest{SessionData: login.SessionData}); !errors.Is(err, connect.ErrUnsupported) {
		t.Fatalf("Refresh with refresh off: %v; want ErrUnsupported", err)
	}
}

// TestConformance runs the SDK's auth contract against the plugin and the
// FAKE provider, with refresh on (revoked at the provider at the end) and
// off.
func TestConformance(t *testing.T) {
	for _, refresh := range []bool{true, false} {
		t.Run(fmt.Sprintf("refresh=%v", refresh), func(t *testing.T) {
			op := oidcfake.New(t, clientID, clientSecret)
			op.SetClaims(map[string]any{"sub": "u-1", "email": "ann@corp.com", "email_verified": true, "name": "Ann", "preferred_username": "ann", "groups": []any{"ops", "eng"}})
			cfg, _ := json.Marshal(map[string]any{
				"issuer": op.Issuer, "client_id": clientID, "client_secret": clientSecret,
				"allowed_email_domains": []string{"corp.com"}, "refresh": refresh,
			})
			plugintest.AuthConformance(t, plugintest.AuthSuite{
				New:         func() auth.Auth { return oidcauth.New() },
				Name:        "auth-oidc",
				Config:      cfg,
				RedirectURL: redirectURL,
				Want:        auth.Identity{Issuer: op.Issuer, Subject: "u-1", Email: "ann@corp.com", EmailVerified: true, Name: "Ann", Username: "ann", Groups: []string{"eng", "ops"}},
				Refreshable: refresh,
				Revoke:      func(*testing.T) { op.RevokeRefreshTokens() },
			})
		})
	}
}
