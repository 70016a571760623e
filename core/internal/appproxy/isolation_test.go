package appproxy

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// TestAppHostFlow: open → redeem → a host-only app cookie → the app, with
// Atrium's credentials and the client's forwarding claims stripped.
func TestAppHostFlow(t *testing.T) {
	w := newWorld(t)
	f := w.front(appDomain)
	o, err := f.p.OpenApp(context.Background(), w.sessA, w.userA.ID, w.loginA.id)
	must(t, err)
	if !strings.HasPrefix(o.URL, f.appURL(w.sessA)+AuthPath+"?token=") || time.Until(o.ExpiresAt) > maxTokenTTL {
		t.Fatalf("open: %+v", o)
	}
	resp, _ := f.do(t, "GET", o.URL, nil, nil)
	sc := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(sc, PlainAppCookie+"=") || strings.Contains(strings.ToLower(sc), "domain") ||
		!strings.Contains(strings.ToLower(sc), "httponly") || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("redeem: %d %v", resp.StatusCode, resp.Header)
	}
	cookie := resp.Cookies()[0].Value

	// The token is single-use.
	if resp, _ := f.do(t, "GET", o.URL, nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("second redeem: %d", resp.StatusCode)
	}

	resp, body := f.do(t, "GET", f.appURL(w.sessA)+"/hello?x=1", map[string]string{
		"Cookie":              "theme=dark; " + PlainAppCookie + "=" + cookie + "; atrium_session=" + w.loginA.token + "; atrium_login=x",
		"X-CSRF-Token":        "csrf",
		"Authorization":       "Bearer atr_secret",
		"X-Forwarded-For":     "6.6.6.6",
		"X-Forwarded-Host":    "evil.test",
		"X-Forwarded-Proto":   "https",
		"Forwarded":           "for=6.6.6.6",
		"Proxy-Authorization": "Basic eA==",
		"Connection":          "X-Drop-Me",
		"X-Drop-Me":           "1",
		"X-Keep-Me":           "1",
	}, nil)
	if resp.StatusCode != 200 || body != "app:/hello?x=1" {
		t.Fatalf("app: %d %s", resp.StatusCode, body)
	}
	got := w.up.last(t)
	h := got.Header
	if c := h.Get("Cookie"); c != "theme=dark" {
		t.Errorf("the app received cookies %q; want only theme=dark", c)
	}
	for _, k := range []string{"X-Csrf-Token", "Authorization", "Forwarded", "Proxy-Authorization", "X-Drop-Me"} {
		if v, ok := h[k]; ok {
			t.Errorf("the app received %s: %v", k, v)
		}
	}
	if h.Get("X-Forwarded-For") != "127.0.0.1" || h.Get("X-Forwarded-Proto") != "http" || h.Get("X-Forwarded-Host") != strings.TrimPrefix(f.appURL(w.sessA), "http://") {
		t.Errorf("forwarding headers: %v", h)
	}
	if h.Get("X-Keep-Me") != "1" || got.Host != strings.TrimPrefix(f.appURL(w.sessA), "http://") {
		t.Errorf("end-to-end headers or Host lost: host %q %v", got.Host, h)
	}
	if g := f.p.Grants(); len(g) != 0 {
		t.Errorf("no websocket was open, yet the proxy holds %v", g)
	}
}

// TestIsolation: nothing of A's opens B's app, nothing of B's opens A's,
// and the core's cookie and API mean nothing on an app host.
func TestIsolation(t *testing.T) {
	w := newWorld(t)
	f := w.front(appDomain)
	ctx := context.Background()
	cookieA := w.openApp(f, w.sessA, w.userA, w.loginA)
	appCookie := func(v string) map[string]string { return map[string]string{"Cookie": PlainAppCookie + "=" + v} }

	// A's token shown on B's host: refused, and spent.
	o, err := f.p.OpenApp(ctx, w.sessA, w.userA.ID, w.loginA.id)
	must(t, err)
	onB := strings.Replace(o.URL, w.sessA.ID.String(), w.sessB.ID.String(), 1)
	if resp, _ := f.do(t, "GET", onB, nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("A's token on B's host: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, "GET", o.URL, nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a token tried on the wrong host still worked on its own: %d", resp.StatusCode)
	}

	// B cannot open A's app, even with a token forged into the store.
	if _, err := f.p.OpenApp(ctx, w.sessA, w.userB.ID, w.loginB.id); !errors.Is(err, ErrNotOwner) {
		t.Errorf("B opening A's app: %v", err)
	}
	token, hash := authn.NewToken()
	must(t, w.st.CreateAppToken(ctx, hash, store.AppToken{UserID: w.userB.ID, SessionID: w.sessA.ID, InstanceID: w.sessA.InstanceID,
		LoginSessionID: w.loginB.id, ExpiresAt: time.Now().Add(30 * time.Second)}))
	if resp, _ := f.do(t, "GET", f.appURL(w.sessA)+AuthPath+"?token="+url.QueryEscape(token), nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another user's token for A: %d", resp.StatusCode)
	}

	// A's app cookie works on A's host only.
	if resp, _ := f.do(t, "GET", f.appURL(w.sessA)+"/", appCookie(cookieA), nil); resp.StatusCode != 200 {
		t.Fatalf("A's cookie on A: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, "GET", f.appURL(w.sessB)+"/", appCookie(cookieA), nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("A's cookie on B's host: %d", resp.StatusCode)
	}
	// The core's cookie is no credential on an app host, and the core's
	// API is not served there.
	core := map[string]string{"Cookie": "atrium_session=" + w.loginA.token}
	if resp, body := f.do(t, "GET", f.appURL(w.sessA)+"/api/v1/me", core, nil); resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "core") {
		t.Errorf("core cookie on an app host: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.do(t, "GET", f.public+"/api/v1/me", nil, nil); resp.StatusCode != 200 || body != "core" {
		t.Errorf("the core's own host: %d %s", resp.StatusCode, body)
	}
	for _, host := range []string{"nope.apps.test", "x." + w.sessA.ID.String() + ".apps.test", strings.ToUpper(w.sessA.ID.String()) + "x.apps.test"} {
		if resp, _ := f.do(t, "GET", "http://"+host+"/", map[string]string{"Cookie": PlainAppCookie + "=" + cookieA}, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("host %s: %d", host, resp.StatusCode)
		}
	}
	if n := w.tun.count(w.sessB.ID); n != 0 {
		t.Errorf("B's session was dialed %d times", n)
	}

	// Logout ends the app cookie; so does the session leaving running.
	cookieB := w.openApp(f, w.sessB, w.userB, w.loginB)
	must(t, w.st.RevokeLoginSession(ctx, w.loginA.id))
	if resp, _ := f.do(t, "GET", f.appURL(w.sessA)+"/", appCookie(cookieA), nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("A's cookie after logout: %d", resp.StatusCode)
	}
	_, err = w.st.TransitionSession(ctx, store.SystemScope(), w.sessB.ID, store.Transition{To: store.StateStopping})
	must(t, err)
	if resp, _ := f.do(t, "GET", f.appURL(w.sessB)+"/", appCookie(cookieB), nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("B's cookie after stop: %d", resp.StatusCode)
	}
	if _, err := f.p.OpenApp(ctx, w.sessA, w.userA.ID, w.loginA.id); err != nil {
		// A's session still runs; only the login ended, and OpenApp trusts
		// its caller's login, which the API checked.
		t.Logf("open after logout: %v", err)
	}
}
