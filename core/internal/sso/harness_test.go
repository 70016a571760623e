package sso_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/core/internal/sso"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// pluginBin and passwordBin are the auth-oidc and the example
// auth-password binaries TestMain builds once.
var pluginBin, passwordBin string

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "atrium-sso-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	pluginBin = filepath.Join(dir, "atrium-auth-oidc")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	passwordBin = filepath.Join(dir, "atrium-auth-password")
	for bin, pkg := range map[string]string{pluginBin: "./plugins/auth-oidc", passwordBin: "./sdk/examples/auth-password"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		cmd.Dir = repoRoot()
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", pkg, err)
			return 1
		}
	}
	return storetest.Main(m)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

const (
	authName   = "corp"
	sessCookie = "atrium_session"
	secretEnv  = "ATRIUM_TEST_OIDC_SECRET"
)

// world is a core slice: PostgreSQL, the auth-oidc plugin as a real process
// under pluginhost, the sso service and its routes on a loopback listener.
type world struct {
	t    *testing.T
	db   *store.Store
	svc  *sso.Service
	base string // the core's public URL
}

// newWorld starts everything. authBody is the inside of auth "corp" { … }
// beside its plugin attribute; it may use env("ATRIUM_TEST_OIDC_SECRET").
func newWorld(t *testing.T, listener net.Listener, secret, authBody string) *world {
	t.Helper()
	t.Setenv(secretEnv, secret)
	return startWorld(t, listener, pluginBin, authBody)
}

// startWorld starts the auth plugin bin as auth "corp" { … } with authBody.
func startWorld(t *testing.T, listener net.Listener, bin, authBody string) *world {
	t.Helper()
	cfg := authConfig(t, bin, authBody)
	log := hclog.New(&hclog.LoggerOptions{Name: "sso-test", Level: hclog.Warn, Output: os.Stderr})
	host := pluginhost.New(pluginhost.Options{Logger: log, TunnelDir: t.TempDir()})
	t.Cleanup(host.Shutdown)
	a := cfg.Auths[0]
	p := cfg.Plugin("idp")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := host.Start(ctx, []pluginhost.Spec{{
		Name: "auth." + a.Name, Kind: plugin.KindAuth, Block: "auth " + a.Name, Pos: "sso-test.hcl:4:1",
		Plugin: p.Name, Path: p.Path, SHA256: p.SHA256,
		Decode: func(s schema.Object) (json.RawMessage, error) {
			raw, diags := config.DecodePluginConfig(a.Config, s, cfg.EvalContext())
			return raw, cfg.DiagnosticsError(diags)
		},
	}})
	if err != nil {
		t.Fatalf("start auth plugin: %v", err)
	}

	return serveWorld(t, listener, cfg, sso.HostPlugins(host), sso.HostCapable(host))
}

// authConfig is the config of auth "corp" { … } with authBody, its plugin
// the binary bin.
func authConfig(t *testing.T, bin, authBody string) *config.Config {
	t.Helper()
	sum, err := fileSHA256(bin)
	if err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("plugin \"idp\" {\n  path   = %q\n  sha256 = %q\n}\nauth %q {\n  plugin = \"idp\"\n%s\n}\n", bin, sum, authName, authBody)
	cfg, err := config.Parse([]byte(src), "sso-test.hcl", t.TempDir())
	if err != nil {
		t.Fatalf("config:\n%v", err)
	}
	return cfg
}

// serveWorld serves the sso routes of cfg's auth blocks with the given
// plugins on listener.
func serveWorld(t *testing.T, listener net.Listener, cfg *config.Config, plugins sso.PluginLookup, capable sso.CapabilityLookup) *world {
	t.Helper()
	log := hclog.New(&hclog.LoggerOptions{Name: "sso-test", Level: hclog.Warn, Output: os.Stderr})
	w := &world{t: t, db: storetest.Open(t), base: "http://" + listener.Addr().String()}
	var err error
	w.svc, err = sso.New(sso.Options{
		Store: w.db, Auths: cfg.Auths, Plugins: plugins, Capable: capable, PublicURL: w.base,
		Sessions: storeSessions{}, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	sso.Routes(app.Group("/api/v1"), w.svc, sso.RouteOptions{SessionCookie: sessCookie})
	go func() { _ = app.Listener(listener) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return w
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// storeSessions opens login sessions the way authn does for password
// logins; it stands in for the authn method the server will wire.
type storeSessions struct{}

func (storeSessions) OpenLoginSession(ctx context.Context, q *store.Queries, r sso.NewLoginSession) (sso.LoginSession, error) {
	token, hash := authn.NewToken()
	csrf := authn.CSRFToken(token)
	expires := time.Now().Add(authn.DefaultSessionPolicy.Absolute)
	if !r.ExpiresAt.IsZero() && r.ExpiresAt.Before(expires) {
		expires = r.ExpiresAt
	}
	s, err := q.CreateLoginSession(ctx, store.NewLoginSession{
		TokenHash: hash, CSRFHash: authn.HashToken(csrf), UserID: r.UserID, ExpiresAt: expires,
		IP: r.IP, UserAgent: r.UserAgent, AuthPlugin: r.AuthPlugin, PluginSessionData: r.PluginSessionData,
	})
	if err != nil {
		return sso.LoginSession{}, err
	}
	return sso.LoginSession{ID: s.ID, Token: token, CSRFToken: csrf, ExpiresAt: expires}, nil
}

// browser is an HTTP client with cookies that follows redirects until it
// leaves the login routes of the core, so a test sees where login ends.
type browser struct {
	*http.Client
	core *url.URL
}

func (w *world) browser() *browser {
	jar, _ := cookiejar.New(nil)
	core, _ := url.Parse(w.base)
	b := &browser{core: core}
	b.Client = &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 10 {
			return fmt.Errorf("more than 10 redirects")
		}
		if req.URL.Host == core.Host && !strings.HasPrefix(req.URL.Path, "/api/v1/auth/") {
			return http.ErrUseLastResponse // back in Atrium: login is over
		}
		return nil
	}}
	return b
}

// stopAtCallback makes b stop before the core's callback, so a test can
// tamper with it.
func (b *browser) stopAtCallback() {
	inner := b.CheckRedirect
	b.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == b.core.Host && strings.HasSuffix(req.URL.Path, "/callback") {
			return http.ErrUseLastResponse
		}
		return inner(req, via)
	}
}

// get fetches u and returns status, Location and body.
func (b *browser) get(t *testing.T, u string) (int, string, string) {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

func (w *world) loginURL(next string) string {
	return w.base + sso.LoginPath(authName) + "?next=" + url.QueryEscape(next)
}

// count runs a count query.
func (w *world) count(sql string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.db.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		w.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// nothingCreated asserts a refused login left no user, identity or
// session, and an audited reason mentioning fragment.
func (w *world) nothingCreated(fragment string) {
	w.t.Helper()
	w.noRows()
	w.audited(fragment)
}

// noRows asserts there is no user, identity or login session.
func (w *world) noRows() {
	w.t.Helper()
	for _, table := range []string{"users", "identities", "login_sessions"} {
		if n := w.count("SELECT count(*) FROM " + table); n != 0 {
			w.t.Errorf("%d rows in %s after a refused login", n, table)
		}
	}
}

// audited asserts an auth.login_failed row whose reason mentions fragment.
func (w *world) audited(fragment string) {
	w.t.Helper()
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed' AND details->>'reason' LIKE '%' || $1 || '%'`, fragment); n == 0 {
		w.t.Errorf("no auth.login_failed audit row mentions %q", fragment)
	}
}

// roles lists a user's memberships as "slug=role" sorted by slug.
func (w *world) roles(userID string) string {
	w.t.Helper()
	rows, err := w.db.Pool().Query(context.Background(), `SELECT o.slug || '=' || m.role FROM memberships m JOIN organisations o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.slug`, userID)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
