//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// passwordConfig configures the SDK's example auth-password plugin as
// auth "team", with ann's password hash.
func passwordConfig(t *testing.T, hash string) string {
	return fmt.Sprintf(`server {
  listen     = "%%[3]s"
  public_url = "http://%%[3]s"
  state_dir  = "%%[4]s"
}
plugin "password" {
  path   = %q
  sha256 = %q
}
auth "team" {
  plugin       = "password"
  display_name = "Team password"
  allow_signup = true
  config {
    user "ann" {
      password_hash = %q
      email         = "ann@corp.com"
      name          = "Ann"
    }
  }
}
`, bins.authPassword, sha256File(t, bins.authPassword), hash)
}

// pageForm is one browser: cookies, redirects followed.
type pageForm struct {
	c    *http.Client
	base string
}

func newPageForm(base string) *pageForm {
	jar, _ := cookiejar.New(nil)
	return &pageForm{c: &http.Client{Jar: jar, Timeout: 30 * time.Second}, base: base}
}

// post sends the login form as a browser on the core's page does (Origin
// of the core) and returns where it ended, status and body.
func (f *pageForm) post(t *testing.T, action, username, password string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, action, strings.NewReader(url.Values{"username": {username}, "password": {password}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", f.base)
	resp, err := f.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// TestPasswordPluginPagesFullBinary logs in to a real `atrium server`
// through the example auth-password plugin's own form, which the core
// serves: the provider list, the form, a wrong and a right password, the
// session working for /api/v1/me, and the password logins' throttle.
func TestPasswordPluginPagesFullBinary(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("ann's secret"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	path, addr := writeConfig(t, passwordConfig(t, string(hash)))
	base := "http://" + addr
	startCore(t, path, addr)

	loginURL := onlyProvider(t, base, "team")

	// The core's login route leads to the plugin's form, served by the core.
	f := newPageForm(base)
	resp, err := f.c.Get(base + loginURL + "?next=" + url.QueryEscape("/api/v1/me"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formAction.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/api/v1/auth/team/pages/login" || m == nil {
		t.Fatalf("login route ended at %s with %d, want the form:\n%s", resp.Request.URL, resp.StatusCode, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("form served with CSP %q, Cache-Control %q", csp, resp.Header.Get("Cache-Control"))
	}
	action := html.UnescapeString(string(m[1]))
	if action != base+"/api/v1/auth/team/pages/login?next=%2Fapi%2Fv1%2Fme" {
		t.Fatalf("form action %q, want the page with next", action)
	}

	wrong, body := f.post(t, action, "ann", "guess")
	if wrong.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong username or password") {
		t.Fatalf("wrong password: %d %s", wrong.StatusCode, body)
	}
	if code, raw := browse(t, f.c, "GET", base+"/api/v1/me", ""); code != http.StatusUnauthorized {
		t.Fatalf("GET /me after a wrong password: %d %s", code, raw)
	}

	ok, body := f.post(t, action, "ann", "ann's secret")
	if ok.StatusCode != http.StatusOK || ok.Request.URL.Path != "/api/v1/me" {
		t.Fatalf("right password ended at %s with %d: %s", ok.Request.URL, ok.StatusCode, body)
	}
	var me struct {
		User struct {
			Username    string `json:"username"`
			Email       string `json:"email"`
			HasPassword bool   `json:"has_password"`
		} `json:"user"`
	}
	if err := json.Unmarshal([]byte(body), &me); err != nil || me.User.Username != "ann" || me.User.Email != "ann@corp.com" || me.User.HasPassword {
		t.Fatalf("GET /me after the page login = %s (%v); want ann, without a core password", body, err)
	}

	// Another site's form is refused before the plugin sees it.
	req, _ := http.NewRequest(http.MethodPost, action, strings.NewReader("username=ann&password=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST from another origin: %v %v; want 403", resp, err)
	} else {
		resp.Body.Close()
	}

	// Guessing is throttled like password logins: 10 failures per address
	// and username, then 429 even for the right password.
	g := newPageForm(base)
	for i := range 10 {
		if resp, body := g.post(t, action, "ann", fmt.Sprintf("guess %d", i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d %s", i, resp.StatusCode, body)
		}
	}
	for _, pw := range []string{"guess 10", "ann's secret"} {
		resp, body := g.post(t, action, "ann", pw)
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "login-throttled") {
			t.Fatalf("password %q after 10 failures: %d %s; want 429 login-throttled", pw, resp.StatusCode, body)
		}
	}
	if code, _ := browse(t, g.c, "GET", base+"/api/v1/me", ""); code != http.StatusUnauthorized {
		t.Fatalf("GET /me after throttled logins: %d", code)
	}
}
