package plugintest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
)

// AuthSuite describes the auth plugin AuthConformance checks, and the
// provider it logs in at: a test provider (a real one such as Dex, or a fake
// named as one) that logs its test user in without asking.
type AuthSuite struct {
	// New returns a fresh, unconfigured implementation each call.
	New func() auth.Auth
	// Name is the name the plugin reports in its Info.
	Name string
	// Config is the plugin's configuration as the core would decode it.
	Config json.RawMessage
	// RedirectURL is the core's callback URL the suite passes, as the core
	// does, to BeginLogin and CompleteLogin. Empty means
	// https://atrium.example/api/v1/auth/conformance/callback.
	RedirectURL string
	// Authorize plays the browser at the provider: it takes BeginLogin's
	// AuthURL and returns the query parameters of the provider's redirect
	// to RedirectURL. Nil follows HTTP redirects from AuthURL, without
	// cookies, until one leads to RedirectURL.
	Authorize func(ctx context.Context, authURL, redirectURL string) (url.Values, error)
	// Want is the identity the provider's test user must come out as;
	// Issuer, Subject and Username or Email are required. Groups compare
	// as sets.
	Want auth.Identity
	// Refreshable says Config makes the test user's logins refreshable:
	// Refresh must then prove Want again. Otherwise Refresh must answer
	// connect.ErrUnsupported (auth.ErrNoRefresh).
	Refreshable bool
	// Revoke, when set, makes the provider stop vouching for the test
	// user's logins (revoke its grants, disable it). The suite then expects
	// Refresh to fail with auth.ErrRefreshRefused. Only used when
	// Refreshable is set.
	Revoke func(t *testing.T)
	// Timeout bounds each step. Zero means 30 seconds.
	Timeout time.Duration
}

// AuthConformance checks what the core relies on from an auth plugin, as
// subtests in order: info, a refusal before Configure, configure and
// health, begin (an absolute http(s) AuthURL and a fresh, non-empty State
// per login), login (the callback proves Want), bad-state (a callback
// checked against no state, or against another login's state, fails),
// spent (the same callback completed twice fails the second time), refresh
// (the same person, and ErrRefreshRefused once Revoke has run; unless
// Refreshable, connect.ErrUnsupported), and logout (an absolute URL
// or none, or connect.ErrUnsupported without connect.CapLogout).
func AuthConformance(t *testing.T, c AuthSuite) {
	t.Helper()
	if c.New == nil {
		t.Fatal("AuthSuite.New is nil; set it to a function returning a fresh implementation")
	}
	if c.Want.Issuer == "" || c.Want.Subject == "" {
		t.Fatal("AuthSuite.Want lacks Issuer or Subject; set it to the identity of the provider's test user")
	}
	if c.RedirectURL == "" {
		c.RedirectURL = "https://atrium.example/api/v1/auth/conformance/callback"
	}
	if c.Authorize == nil {
		c.Authorize = FollowRedirects
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	a := &authRun{suite: c, parent: t}
	runSteps(t, c.Timeout, []step{
		{"info", a.info},
		{"not-configured", a.notConfigured},
		{"configure", a.configure},
		{"begin", a.begin},
		{"login", a.login},
		{"bad-state", a.badState},
		{"spent", a.spent},
		{"refresh", a.refresh},
		{"logout", a.logout},
	})
}

// FollowRedirects is AuthSuite's default Authorize: it GETs authURL and
// follows redirects, without cookies, until one leads to redirectURL, and
// returns that redirect's query parameters.
func FollowRedirects(ctx context.Context, authURL, redirectURL string) (url.Values, error) {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	next := authURL
	for range 10 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		if err != nil {
			return nil, fmt.Errorf("visit the provider at %s: %w", next, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("visit the provider: %w", err)
		}
		_ = resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			return nil, fmt.Errorf("the provider answered %s at %s without a redirect; set AuthSuite.Authorize to log the test user in", resp.Status, next)
		}
		if strings.HasPrefix(loc.String(), redirectURL) {
			return loc.Query(), nil
		}
		next = loc.String()
	}
	return nil, fmt.Errorf("no redirect to %s within 10 hops from %s", redirectURL, authURL)
}

// authRun is one run of the suite and what its steps learnt.
type authRun struct {
	suite  AuthSuite
	parent *testing.T

	caps  connect.Info
	auth  connect.Auth
	first auth.CompleteLoginResponse
}

func (a *authRun) info(t *testing.T, ctx context.Context) {
	base, _ := ServeAuth(t, a.suite.New())
	info, err := base.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Kind != plugin.KindAuth || info.APIVersion != auth.APIVersion {
		t.Fatalf("Info reports kind %q, API version %d; want %q, %d", info.Kind, info.APIVersion, plugin.KindAuth, auth.APIVersion)
	}
	if a.suite.Name != "" && info.Name != a.suite.Name {
		t.Errorf("Info reports name %q, want %q", info.Name, a.suite.Name)
	}
	if _, err := base.ConfigSchema(ctx); err != nil {
		t.Fatalf("ConfigSchema: %v", err)
	}
}

func (a *authRun) notConfigured(t *testing.T, ctx context.Context) {
	_, au := ServeAuth(t, a.suite.New())
	if _, err := au.BeginLogin(ctx, auth.BeginLoginRequest{RedirectURL: a.suite.RedirectURL}); err == nil {
		t.Fatal("BeginLogin before Configure succeeded; the SDK must refuse kind calls until Configure succeeds")
	}
}

func (a *authRun) configure(t *testing.T, ctx context.Context) {
	base, au := ServeAuth(a.parent, a.suite.New())
	if err := base.Configure(ctx, plugin.ConfigureRequest{Config: a.suite.Config, Instance: "conformance"}); err != nil {
		t.Fatalf("Configure with AuthSuite.Config: %v", err)
	}
	if err := base.Health(ctx); err != nil {
		t.Fatalf("Health after Configure: %v", err)
	}
	info, err := base.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	a.caps, a.auth = info, au
}

// startLogin begins a login and plays the browser at the provider.
func (a *authRun) startLogin(t *testing.T, ctx context.Context) ([]byte, url.Values) {
	t.Helper()
	b, err := a.auth.BeginLogin(ctx, auth.BeginLoginRequest{RedirectURL: a.suite.RedirectURL})
	if err != nil {
		t.Fatalf("BeginLogin: %v", err)
	}
	params, err := a.suite.Authorize(ctx, b.AuthURL, a.suite.RedirectURL)
	if err != nil {
		t.Fatalf("authorize at the provider: %v", err)
	}
	return b.State, params
}

func (a *authRun) complete(ctx context.Context, state []byte, params url.Values) (auth.CompleteLoginResponse, error) {
	return a.auth.CompleteLogin(ctx, auth.CompleteLoginRequest{RedirectURL: a.suite.RedirectURL, Params: params, State: state})
}

func (a *authRun) begin(t *testing.T, ctx context.Context) {
	req := auth.BeginLoginRequest{RedirectURL: a.suite.RedirectURL}
	first, err := a.auth.BeginLogin(ctx, req)
	if err != nil {
		t.Fatalf("BeginLogin: %v", err)
	}
	u, err := url.Parse(first.AuthURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		t.Fatalf("AuthURL %q is not an absolute http(s) URL; the core redirects the browser there", first.AuthURL)
	}
	if len(first.State) == 0 {
		t.Fatal("BeginLogin returned no State; without one a callback cannot be tied to the login that started it")
	}
	second, err := a.auth.BeginLogin(ctx, req)
	if err != nil {
		t.Fatalf("BeginLogin again: %v", err)
	}
	if string(first.State) == string(second.State) || first.AuthURL == second.AuthURL {
		t.Fatal("two logins got the same State or AuthURL; each login needs fresh state")
	}
}

func (a *authRun) login(t *testing.T, ctx context.Context) {
	state, params := a.startLogin(t, ctx)
	resp, err := a.complete(ctx, state, params)
	if err != nil {
		t.Fatalf("CompleteLogin: %v", err)
	}
	checkIdentity(t, "CompleteLogin", resp.Identity, a.suite.Want)
	if !resp.ExpiresAt.IsZero() && !resp.ExpiresAt.After(time.Now()) {
		t.Errorf("ExpiresAt %s is not in the future; the login session would end at once", resp.ExpiresAt)
	}
	a.first = resp
}

// checkIdentity compares got with want; Groups compare as sets.
func checkIdentity(t *testing.T, call string, got, want auth.Identity) {
	t.Helper()
	if got.Username == "" && got.Email == "" {
		t.Errorf("%s: identity %+v has neither Username nor Email; the core names a new user after one of them", call, got)
	}
	g, w := slices.Sorted(slices.Values(got.Groups)), slices.Sorted(slices.Values(want.Groups))
	got.Groups, want.Groups = nil, nil
	if !reflect.DeepEqual(got, want) || !slices.Equal(g, w) {
		t.Errorf("%s: identity = %+v groups %v; want %+v groups %v", call, got, g, want, w)
	}
}

func (a *authRun) badState(t *testing.T, ctx context.Context) {
	_, params := a.startLogin(t, ctx)
	if _, err := a.complete(ctx, nil, params); err == nil {
		t.Error("CompleteLogin without State succeeded")
	}
	stateA, _ := a.startLogin(t, ctx)
	_, paramsB := a.startLogin(t, ctx)
	if _, err := a.complete(ctx, stateA, paramsB); err == nil {
		t.Error("CompleteLogin of one login's callback with another login's State succeeded; a callback must match the state of the browser that started it")
	}
}

func (a *authRun) spent(t *testing.T, ctx context.Context) {
	state, params := a.startLogin(t, ctx)
	if _, err := a.complete(ctx, state, params); err != nil {
		t.Fatalf("CompleteLogin: %v", err)
	}
	if _, err := a.complete(ctx, state, params); err == nil {
		t.Fatal("the same callback completed twice; a replayed callback must fail")
	}
}

func (a *authRun) refresh(t *testing.T, ctx context.Context) {
	req := auth.RefreshRequest{SessionData: a.first.SessionData}
	if a.suite.Refreshable && !a.caps.Has(connect.CapRefresh) {
		t.Fatal("AuthSuite.Refreshable is set but the plugin lacks the refresh capability (it does not implement auth.Refresher)")
	}
	if !a.suite.Refreshable {
		// Without the capability the SDK answers; with it, the plugin
		// says auth.ErrNoRefresh for a login it cannot refresh.
		if _, err := a.auth.Refresh(ctx, req); !errors.Is(err, connect.ErrUnsupported) {
			t.Fatalf("Refresh of a login that cannot be refreshed: %v; want connect.ErrUnsupported (auth.ErrNoRefresh), which makes the core stop refreshing it and keep it", err)
		}
		return
	}
	resp, err := a.auth.Refresh(ctx, req)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	checkIdentity(t, "Refresh", resp.Identity, a.suite.Want)
	if !resp.ExpiresAt.IsZero() && !resp.ExpiresAt.After(time.Now()) {
		t.Errorf("Refresh's ExpiresAt %s is not in the future; the core would end the session at once", resp.ExpiresAt)
	}
	if a.suite.Revoke == nil {
		return
	}
	// Refresh the session as the core would next: with the data the last
	// Refresh returned, or the old data when it returned none.
	if len(resp.SessionData) > 0 {
		req.SessionData = resp.SessionData
	}
	a.suite.Revoke(t)
	if _, err := a.auth.Refresh(ctx, req); !errors.Is(err, auth.ErrRefreshRefused) {
		t.Fatalf("Refresh after the provider revoked: %v; want auth.ErrRefreshRefused, which ends the login session", err)
	}
}

func (a *authRun) logout(t *testing.T, ctx context.Context) {
	resp, err := a.auth.Logout(ctx, auth.LogoutRequest{SessionData: a.first.SessionData, PostLogoutRedirectURL: "https://atrium.example/"})
	if !a.caps.Has(connect.CapLogout) {
		if !errors.Is(err, connect.ErrUnsupported) {
			t.Fatalf("Logout of a plugin without the logout capability: %v; want connect.ErrUnsupported", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Logout: %v", err)
	}
	// Empty: the provider has no logout to send the browser to, and the
	// core ends only its own session.
	if u, err := url.Parse(resp.LogoutURL); resp.LogoutURL != "" && (err != nil || u.Host == "") {
		t.Fatalf("LogoutURL %q is neither empty nor an absolute URL", resp.LogoutURL)
	}
}
