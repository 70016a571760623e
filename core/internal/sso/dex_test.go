//go:build linux

package sso_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// dexBinary builds Dex once (scripts/dex.sh caches it outside the
// repository) and returns its path.
func dexBinary(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(repoRoot(), "scripts", "dex.sh"))
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build Dex with scripts/dex.sh: %v", err)
	}
	return strings.TrimSpace(out.String())
}

// dexUser is a static Dex password user.
type dexUser struct {
	email, username, userID string
	groups                  []string
}

const dexPassword = "correct horse battery staple"

// dex is a real Dex OpenID provider on loopback.
type dex struct {
	t        *testing.T
	bin, dir string
	port     int
	issuer   string
	callback string
	cmd      *exec.Cmd
	exited   chan struct{}
	log      *os.File
}

func newDex(t *testing.T, callback string) *dex {
	t.Helper()
	d := &dex{t: t, bin: dexBinary(t), dir: t.TempDir(), port: freePort(t), callback: callback}
	d.issuer = fmt.Sprintf("http://127.0.0.1:%d/dex", d.port)
	t.Cleanup(d.stop)
	return d
}

// start writes a config with users and starts Dex, waiting until its
// discovery document answers. Memory storage: each start has fresh
// signing keys, which the plugin must pick up (key rotation).
func (d *dex) start(users ...dexUser) {
	d.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(dexPassword), 10)
	if err != nil {
		d.t.Fatal(err)
	}
	var static []map[string]any
	for _, u := range users {
		static = append(static, map[string]any{
			"email": u.email, "username": u.username, "preferredUsername": u.username, "userID": u.userID,
			"hash": string(hash), "groups": u.groups,
		})
	}
	cfg := map[string]any{
		"issuer":           d.issuer,
		"storage":          map[string]any{"type": "memory"},
		"web":              map[string]any{"http": fmt.Sprintf("127.0.0.1:%d", d.port)},
		"oauth2":           map[string]any{"skipApprovalScreen": true, "responseTypes": []string{"code"}},
		"enablePasswordDB": true,
		"staticPasswords":  static,
		"staticClients": []map[string]any{{
			"id": "atrium", "secret": "dex-secret", "name": "Atrium", "redirectURIs": []string{d.callback},
		}},
		"logger": map[string]any{"level": "warn"},
	}
	raw, _ := json.Marshal(cfg) // YAML is a superset of JSON
	path := filepath.Join(d.dir, "config.yaml")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		d.t.Fatal(err)
	}
	if d.log, err = os.OpenFile(filepath.Join(d.dir, "dex.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		d.t.Fatal(err)
	}
	d.cmd = exec.Command(d.bin, "serve", path)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		d.t.Fatalf("start Dex: %v", err)
	}
	d.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(d.cmd, d.exited)

	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(d.issuer + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-d.exited:
			d.t.Fatalf("Dex exited at start; its log:\n%s", d.logText())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("Dex did not answer within 30s; its log:\n%s", d.logText())
		}
	}
}

// stop ends Dex and waits for it.
func (d *dex) stop() {
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
	d.cmd = nil
	_ = d.log.Close()
	if d.t.Failed() {
		d.t.Logf("Dex log:\n%s", d.logText())
	}
}

func (d *dex) logText() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "dex.log"))
	return string(b)
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// dexLogin runs the browser's whole login: Atrium's login route, Dex's
// redirects, Dex's password form, and the callback, until the browser is
// back in Atrium. It returns the last answer.
func dexLogin(t *testing.T, w *world, b *browser, email, next string) (int, string, string) {
	t.Helper()
	resp, err := b.Get(w.loginURL(next))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formAction.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("expected Dex's login form, got %d at %s:\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	action, err := resp.Request.URL.Parse(html.UnescapeString(string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = b.PostForm(action.String(), url.Values{"login": {email}, "password": {dexPassword}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// TestDexEndToEnd signs in through a real Dex: the full redirect flow,
// the user created with its mapped role, and roles that follow the user's
// groups at Dex from one login to the next.
func TestDexEndToEnd(t *testing.T) {
	l := listen(t)
	callback := "http://" + l.Addr().String() + "/api/v1/auth/" + authName + "/callback"
	d := newDex(t, callback)
	ann := dexUser{email: "ann@corp.com", username: "ann", userID: "5d0c6a4e-31c7-4a46-b0b9-3ec4b7a0c1a1", groups: []string{"eng"}}
	mallory := dexUser{email: "mallory@evilcorp.com", username: "mallory", userID: "f2b1a3c4-0000-4000-8000-000000000001", groups: []string{"eng-leads"}}
	d.start(ann, mallory)

	w := newWorld(t, l, "dex-secret", `
  allow_signup = true
  map_group "eng" {
    org  = "engineering"
    role = "member"
  }
  map_group "eng-leads" {
    org  = "engineering"
    role = "org_admin"
  }
  map_group "ops" {
    org  = "operations"
    role = "member"
  }
  config {
    issuer                = "`+d.issuer+`"
    client_id             = "atrium"
    client_secret         = env("`+secretEnv+`")
    allowed_email_domains = ["corp.com"]
  }`)
	for _, slug := range []string{"engineering", "operations"} {
		if _, err := w.db.CreateOrg(context.Background(), slug, slug); err != nil {
			t.Fatal(err)
		}
	}

	// Dex vouches for mallory, but evilcorp.com is not corp.com.
	status, _, body := dexLogin(t, w, w.browser(), mallory.email, "/")
	refused(t, w, status, body, `domain \"evilcorp.com\" is not allowed`, http.StatusUnauthorized)
	w.nothingCreated(`domain "evilcorp.com" is not allowed`)

	login := func(next string) string {
		t.Helper()
		b := w.browser()
		status, loc, body := dexLogin(t, w, b, ann.email, next)
		if status != http.StatusFound || loc != next {
			t.Fatalf("login through Dex ended with %d Location %q: %s", status, loc, body)
		}
		if cookie(b, sessCookie) == "" {
			t.Fatal("no session cookie after login through Dex")
		}
		var user string
		if err := w.db.Pool().QueryRow(context.Background(), `SELECT user_id::text FROM login_sessions ORDER BY created_at DESC LIMIT 1`).Scan(&user); err != nil {
			t.Fatal(err)
		}
		return user
	}

	user := login("/sessions?tab=mine")
	if got := w.roles(user); got != "engineering=member" {
		t.Fatalf("roles after the first login = %q, want engineering=member", got)
	}
	if n := w.count(`SELECT count(*) FROM identities WHERE user_id = $1 AND issuer = $2`, user, d.issuer); n != 1 {
		t.Fatal("identity not recorded under Dex's issuer")
	}

	// Ann is promoted and joins ops at Dex; Dex restarts with new keys.
	d.stop()
	ann.groups = []string{"eng-leads", "ops"}
	d.start(ann, mallory)
	if again := login("/"); again != user {
		t.Fatalf("second login is user %s, want %s", again, user)
	}
	if got := w.roles(user); got != "engineering=org_admin,operations=member" {
		t.Fatalf("roles after promotion = %q", got)
	}

	// Ann leaves engineering at Dex: the mapped role goes.
	d.stop()
	ann.groups = []string{"ops"}
	d.start(ann, mallory)
	login("/")
	if got := w.roles(user); got != "operations=member" {
		t.Fatalf("roles after leaving eng = %q, want operations=member", got)
	}
	if n := w.count(`SELECT count(*) FROM users`); n != 1 {
		t.Fatalf("%d users after three logins of one person", n)
	}
}
