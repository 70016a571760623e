package sso_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// passwordWorld runs the core with the example auth-password plugin (a real
// process) as auth "corp": ann's password is "s3cret", her group "eng".
func passwordWorld(t *testing.T) *world {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	w := startWorld(t, listen(t), passwordBin, `
  allow_signup = true
  map_group "eng" {
    org  = "engineering"
    role = "member"
  }
  config {
    user "ann" {
      password_hash = "`+string(hash)+`"
      email         = "ann@corp.com"
      groups        = ["eng"]
    }
  }`)
	if _, err := w.db.CreateOrg(context.Background(), "engineering", "engineering"); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) pagesURL(name, page string) string {
	return w.base + "/api/v1/auth/" + name + "/pages/" + page
}

// postForm posts the login form with the given Origin and Referer ("" for
// none) and returns the response with its body read.
func (b *browser) postForm(t *testing.T, u, origin, referer string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if referer != "" {
		req.Header.Set("Referer", referer)
	}
	resp, err := b.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(body)
}

func (b *browser) hasSession() bool {
	for _, c := range b.Jar.Cookies(b.core) {
		if c.Name == sessCookie && c.Value != "" {
			return true
		}
	}
	return false
}

// problemType checks a problem+json answer and returns its type.
func problemType(t *testing.T, resp *http.Response, body string) string {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type %q, want application/problem+json: %s", ct, body)
	}
	var p struct{ Type string }
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("problem body %q: %v", body, err)
	}
	return p.Type
}

func TestPageLoginGoesThroughTheCallbackTransaction(t *testing.T) {
	w := passwordWorld(t)
	b := w.browser()
	login := w.pagesURL(authName, "login?next=%2Fsessions")

	resp, err := b.Get(login)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `<form method="post" action="`+w.pagesURL(authName, "login?next=%2Fsessions")+`"`) {
		t.Fatalf("GET login = %d: %s", resp.StatusCode, page)
	}
	for h, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}

	wrong, body := b.postForm(t, login, w.base, "", url.Values{"username": {"ann"}, "password": {"nope"}})
	if wrong.StatusCode != 401 || !strings.Contains(body, "Wrong username or password") || b.hasSession() {
		t.Fatalf("wrong password = %d, cookie %v: %s", wrong.StatusCode, b.hasSession(), body)
	}
	w.noRows()

	ok, body := b.postForm(t, login, w.base, "", url.Values{"username": {"ann"}, "password": {"s3cret"}})
	if ok.StatusCode != http.StatusSeeOther || ok.Header.Get("Location") != "/sessions" || !b.hasSession() {
		t.Fatalf("right password = %d Location %q, cookie %v: %s", ok.StatusCode, ok.Header.Get("Location"), b.hasSession(), body)
	}
	var user string
	if err := w.db.Pool().QueryRow(context.Background(), `SELECT u.id::text FROM users u JOIN identities i ON i.user_id = u.id
		WHERE u.username = 'ann' AND u.email = 'ann@corp.com' AND i.issuer = 'auth-password/auth.corp' AND i.subject = 'ann'`).Scan(&user); err != nil {
		t.Fatalf("no user ann with identity auth-password/auth.corp ann: %v", err)
	}
	if got := w.roles(user); got != "engineering=member" {
		t.Errorf("roles = %q, want the group mapping's engineering=member", got)
	}
	if n := w.count(`SELECT count(*) FROM login_sessions WHERE user_id = $1 AND auth_plugin = $2`, user, authName); n != 1 {
		t.Errorf("%d login sessions through auth %q, want 1", n, authName)
	}
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'auth.login'`); n != 1 {
		t.Errorf("%d auth.login audit rows, want 1", n)
	}

	// The core's login route leads the browser to the form, next and all.
	if status, _, body := w.browser().get(t, w.loginURL("/sessions")); status != http.StatusOK || !strings.Contains(body, `<form method="post" action="`+login+`"`) {
		t.Errorf("GET the core's login route = %d, want the plugin's form: %s", status, body)
	}
}

func TestPagePostFromAnotherOriginNeverReachesThePlugin(t *testing.T) {
	w := passwordWorld(t)
	login := w.pagesURL(authName, "login")
	right := url.Values{"username": {"ann"}, "password": {"s3cret"}}
	for _, c := range []struct{ name, origin, referer string }{
		{"no Origin or Referer", "", ""},
		{"foreign Origin", "https://evil.example", ""},
		{"opaque Origin", "null", w.base + "/"},
		{"foreign Origin, own Referer", "https://evil.example", w.base + "/login"},
		{"foreign Referer", "", "https://evil.example/x"},
		{"own host, other scheme", strings.Replace(w.base, "http://", "https://", 1), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := w.browser()
			resp, body := b.postForm(t, login, c.origin, c.referer, right)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403: %s", resp.StatusCode, body)
			}
			if typ := problemType(t, resp, body); !strings.HasSuffix(typ, "bad-origin") {
				t.Errorf("problem type %q, want bad-origin", typ)
			}
			if b.hasSession() {
				t.Error("a session cookie was set")
			}
			w.noRows()
		})
	}
	// A browser that sends only a Referer of the core's own page passes.
	b := w.browser()
	if resp, body := b.postForm(t, login, "", w.base+"/api/v1/auth/corp/pages/login", right); resp.StatusCode != http.StatusSeeOther || !b.hasSession() {
		t.Fatalf("POST with own Referer = %d: %s", resp.StatusCode, body)
	}
}

func TestPagesOfAProviderWithoutThemAreNotFound(t *testing.T) {
	w, _ := fakeWorld(t, "")
	for _, u := range []string{w.pagesURL(authName, "login"), w.pagesURL("nobody", "login")} {
		resp, err := w.browser().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404: %s", u, resp.StatusCode, body)
			continue
		}
		if typ := problemType(t, resp, string(body)); !strings.HasSuffix(typ, "not-found") {
			t.Errorf("GET %s: problem type %q, want not-found", u, typ)
		}
	}
	// A POST from the core's own origin to an unknown provider is 404 too.
	resp, body := w.browser().postForm(t, w.pagesURL("nobody", "login"), w.base, "", url.Values{})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST to an unknown provider = %d, want 404: %s", resp.StatusCode, body)
	}
}

func TestPageLoginsAreThrottledLikePasswordLogins(t *testing.T) {
	w := passwordWorld(t)
	b := w.browser()
	login := w.pagesURL(authName, "login")
	wrong := url.Values{"username": {"ann"}, "password": {"nope"}}
	for i := range 10 {
		if resp, body := b.postForm(t, login, w.base, "", wrong); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d = %d, want 401: %s", i+1, resp.StatusCode, body)
		}
	}
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed' AND details->>'username' = 'ann' AND details->>'reason' LIKE '%refused the credentials%'`); n != 10 {
		t.Errorf("%d auth.login_failed rows for ann's wrong passwords, want 10", n)
	}
	// Past the limit even the right password is refused, so a guess that
	// hits tells the guesser nothing.
	for _, pw := range []string{"nope", "s3cret"} {
		resp, body := b.postForm(t, login, w.base, "", url.Values{"username": {"ann"}, "password": {pw}})
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("password %q after 10 failures = %d, want 429: %s", pw, resp.StatusCode, body)
		}
		if typ := problemType(t, resp, body); !strings.HasSuffix(typ, "login-throttled") {
			t.Errorf("problem type %q, want login-throttled", typ)
		}
	}
	if b.hasSession() {
		t.Error("a throttled login set a session cookie")
	}
	w.noRows()
	w.audited("too many failed logins")
}
