//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/dex"
)

// TestSSODexFullBinary signs in to a real `atrium server` through a real
// Dex: the browser's whole redirect flow and Dex's password form, a user
// created on first login with the membership its Dex group maps to, and
// logout. Dex v2.45.1 advertises no end_session_endpoint, so auth-oidc has
// no provider logout URL to give and logout answers 204 (the 200
// {"logout_url"} shape is covered in core/internal/api with a fake).
func TestSSODexFullBinary(t *testing.T) {
	const secretEnv = "ATRIUM_E2E_DEX_SECRET"
	t.Setenv(secretEnv, dex.ClientSecret) // the atrium processes inherit it
	d := dex.New(t, dex.Options{})
	path, addr := writeConfig(t, fmt.Sprintf(`server {
  listen     = "%%[3]s"
  public_url = "http://%%[3]s"
  state_dir  = "%%[4]s"
}
plugin "oidc" {
  path   = %q
  sha256 = %q
}
auth "dex" {
  plugin       = "oidc"
  display_name = "Dex"
  allow_signup = true
  map_group "eng" {
    org  = "engineering"
    role = "member"
  }
  config {
    issuer        = %q
    client_id     = %q
    client_secret = env(%q)
    refresh       = true
  }
}
`, bins.authOIDC, sha256File(t, bins.authOIDC), d.Issuer, dex.ClientID, secretEnv))
	base := "http://" + addr
	d.SetCallback(base + "/api/v1/auth/dex/callback")
	ann := dex.User{Email: "ann@corp.com", Username: "ann", UserID: "7a3e9c1d-2b4f-4e6a-9c8d-1f2e3d4c5b6a", Groups: []string{"eng"}}
	d.Start(ann)
	startCore(t, path, addr)

	// The admin creates the organisation the mapping names.
	adminCookie, csrf := login(t, addr, "admin", adminPassword)
	if code, body, _ := call(t, "POST", base+"/api/v1/orgs", adminCookie, csrf, map[string]string{"slug": "engineering", "name": "Engineering"}); code != http.StatusCreated {
		t.Fatalf("create org: %d %s", code, body)
	}

	loginURL := onlyProvider(t, base, "dex")

	// The browser: cookies, and every redirect followed.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	// next names an API page, so the last redirect proves the new login
	// cookie works whether or not this binary embeds the web UI.
	resp := dex.Login(t, browser, base+loginURL+"?next="+url.QueryEscape("/api/v1/me"), ann.Email)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Host != addr || resp.Request.URL.Path != "/api/v1/me" {
		t.Fatalf("login through Dex ended at %s with %d:\n%s", resp.Request.URL, resp.StatusCode, body)
	}

	var me struct {
		User struct {
			Username    string `json:"username"`
			Email       string `json:"email"`
			HasPassword bool   `json:"has_password"`
		} `json:"user"`
		Orgs []struct {
			Slug string `json:"slug"`
			Role string `json:"role"`
		} `json:"orgs"`
		CSRFToken string `json:"csrf_token"`
	}
	code, raw := browse(t, browser, "GET", base+"/api/v1/me", "")
	if code != http.StatusOK {
		t.Fatalf("GET /me after SSO login: %d %s", code, raw)
	}
	if err := json.Unmarshal(raw, &me); err != nil {
		t.Fatal(err)
	}
	if me.User.Username != "ann" || me.User.Email != ann.Email || me.User.HasPassword ||
		len(me.Orgs) != 1 || me.Orgs[0].Slug != "engineering" || me.Orgs[0].Role != "member" {
		t.Fatalf("GET /me = %s; want ann, without password, member of engineering", raw)
	}

	code, raw = browse(t, browser, "POST", base+"/api/v1/auth/logout", me.CSRFToken)
	if code != http.StatusNoContent {
		t.Fatalf("logout: %d %s; want 204, as Dex has no end_session_endpoint", code, raw)
	}
	if code, raw := browse(t, browser, "GET", base+"/api/v1/me", ""); code != http.StatusUnauthorized {
		t.Fatalf("GET /me after logout: %d %s", code, raw)
	}
}

// browse makes a request with the browser's cookies, as the web UI does
// (Origin and CSRF header on writes).
func browse(t *testing.T, c *http.Client, method, u, csrf string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if method != "GET" {
		req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// onlyProvider checks that GET /api/v1/auth/providers lists exactly the
// provider name and returns its login URL.
func onlyProvider(t *testing.T, base, name string) string {
	t.Helper()
	var providers struct {
		Items []struct {
			Name     string `json:"name"`
			LoginURL string `json:"login_url"`
		} `json:"items"`
	}
	if code := getJSON(t, base+"/api/v1/auth/providers", &providers); code != http.StatusOK || len(providers.Items) != 1 || providers.Items[0].Name != name {
		t.Fatalf("providers: %d %+v; want only %q", code, providers, name)
	}
	return providers.Items[0].LoginURL
}
