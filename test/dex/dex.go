//go:build linux

// Package dex runs a real Dex OpenID provider on loopback for tests: the
// single sign-on tests of core/internal/sso and the full-binary tests of
// test/e2e sign in through it. scripts/dex.sh builds Dex once into a cache
// outside the repository.
package dex

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Password is every static user's password.
const Password = "correct horse battery staple"

// ClientID and ClientSecret are the one static client Dex knows.
const (
	ClientID     = "atrium"
	ClientSecret = "dex-secret"
)

// User is a static Dex password user.
type User struct {
	Email, Username, UserID string
	Groups                  []string
}

// Options configure a Dex.
type Options struct {
	// Callback is the client's redirect URI.
	Callback string
	// Persist keeps Dex's state (signing keys, refresh tokens) in a
	// SQLite file across Stop and Start; by default each Start begins
	// afresh in memory, with new signing keys.
	Persist bool
}

// Dex is a Dex process on loopback.
type Dex struct {
	// Issuer is Dex's issuer URL.
	Issuer string

	t      testing.TB
	opts   Options
	bin    string
	dir    string
	port   int
	cmd    *exec.Cmd
	exited chan struct{}
	log    *os.File
}

// New prepares a Dex (not started) and stops it when t ends.
func New(t testing.TB, o Options) *Dex {
	t.Helper()
	d := &Dex{t: t, opts: o, bin: Binary(t), dir: t.TempDir(), port: freePort(t)}
	d.Issuer = fmt.Sprintf("http://127.0.0.1:%d/dex", d.port)
	t.Cleanup(d.Stop)
	return d
}

// Binary builds Dex once with scripts/dex.sh and returns its path.
func Binary(t testing.TB) string {
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

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// freePort reserves a loopback port number: Dex's issuer URL must be
// known before it starts.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// SetCallback sets the client's redirect URI before Start, for callers
// that learn it only after choosing Dex's issuer.
func (d *Dex) SetCallback(u string) { d.opts.Callback = u }

// Start writes a config with users and starts Dex, waiting until its
// discovery document answers.
func (d *Dex) Start(users ...User) {
	d.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(Password), 10)
	if err != nil {
		d.t.Fatal(err)
	}
	static := []map[string]any{}
	for _, u := range users {
		static = append(static, map[string]any{
			"email": u.Email, "username": u.Username, "preferredUsername": u.Username, "userID": u.UserID,
			"hash": string(hash), "groups": u.Groups,
		})
	}
	storage := map[string]any{"type": "memory"}
	if d.opts.Persist {
		storage = map[string]any{"type": "sqlite3", "config": map[string]any{"file": filepath.Join(d.dir, "dex.db")}}
	}
	cfg := map[string]any{
		"issuer":           d.Issuer,
		"storage":          storage,
		"web":              map[string]any{"http": fmt.Sprintf("127.0.0.1:%d", d.port)},
		"oauth2":           map[string]any{"skipApprovalScreen": true, "responseTypes": []string{"code"}},
		"enablePasswordDB": true,
		"staticPasswords":  static,
		"staticClients": []map[string]any{{
			"id": ClientID, "secret": ClientSecret, "name": "Atrium", "redirectURIs": []string{d.opts.Callback},
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
		resp, err := http.Get(d.Issuer + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-d.exited:
			d.t.Fatalf("Dex exited at start; its log:\n%s", d.LogText())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("Dex did not answer within 30s; its log:\n%s", d.LogText())
		}
	}
}

// Stop ends Dex and waits for it; it does nothing when Dex is not running.
func (d *Dex) Stop() {
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
		d.t.Logf("Dex log:\n%s", d.LogText())
	}
}

// Forget deletes a stopped persistent Dex's state: every grant and
// refresh token it issued is gone, as when a provider's admin revokes a
// person's sessions.
func (d *Dex) Forget() {
	d.t.Helper()
	if d.cmd != nil {
		d.t.Fatal("dex: Forget needs a stopped Dex")
	}
	if err := os.Remove(filepath.Join(d.dir, "dex.db")); err != nil {
		d.t.Fatalf("dex: forget state: %v", err)
	}
}

// LogText is what Dex logged so far.
func (d *Dex) LogText() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "dex.log"))
	return string(b)
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// Login runs a browser's login with c (cookies, redirect policy of the
// caller's choosing): it GETs loginURL, which must lead through redirects
// to Dex's password form, and posts email and Password there. It returns
// the answer to the post, after the redirects c follows.
func Login(t testing.TB, c *http.Client, loginURL, email string) *http.Response {
	t.Helper()
	resp, err := c.Get(loginURL)
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
	resp, err = c.PostForm(action.String(), url.Values{"login": {email}, "password": {Password}})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
