package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/schema"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// world is a small installation on a real PostgreSQL: organisations A and
// B with an admin and a member each, a platform admin, and an API server
// whose log is captured.
type world struct {
	t             *testing.T
	st            *store.Store
	srv           *Server
	logs          *syncBuf
	orgA, orgB    store.Org
	adminA, userA store.User
	adminB, userB store.User
	root          store.User
	keyB          store.APIKey // userB's key
	sessB         store.Session
	publicURL     string
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const testPassword = "correct horse battery"

func newWorld(t *testing.T, publicURL string) *world {
	t.Helper()
	return newWorldOn(t, publicURL, storetest.Open(t))
}

// newWorldOn is newWorld on the store of the caller's choice.
func newWorldOn(t *testing.T, publicURL string, st *store.Store) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, st: st, logs: &syncBuf{}, publicURL: publicURL}
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: w.logs})
	sys := store.SystemScope()
	var err error
	sessions, err := session.New(ctx, session.Options{
		Store: w.st, Plugins: noPlugins{}, Sealer: testSealer(t), Logger: log,
		Templates: []*config.Template{{Name: "t", Workspace: "w", Runtime: "r"}},
		Runtimes:  []*config.Runtime{{Name: "r", Plugin: "p"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = New(Deps{Logger: log, Store: w.st, Authn: authn.NewService(w.st, authn.DefaultSessionPolicy, log), PublicURL: publicURL,
		Sessions: sessions, Tickets: NewTickets(w.st)})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	w.orgA, err = w.st.CreateOrg(ctx, "org-a", "Org A")
	must(err)
	w.orgB, err = w.st.CreateOrg(ctx, "org-b", "Org B")
	must(err)
	mk := w.mkUser
	w.adminA, w.userA, w.adminB, w.userB, w.root = mk("admin-a", false), mk("user-a", false), mk("admin-b", false), mk("user-b", false), mk("root", true)
	for _, m := range []struct {
		o    store.Org
		u    store.User
		role store.Role
	}{{w.orgA, w.adminA, store.RoleOrgAdmin}, {w.orgA, w.userA, store.RoleMember}, {w.orgB, w.adminB, store.RoleOrgAdmin}, {w.orgB, w.userB, store.RoleMember}} {
		_, err := w.st.AddMember(ctx, sys, m.o.ID, m.u.ID, m.role)
		must(err)
	}
	_, w.keyB, err = authn.MintAPIKey(ctx, w.st.Queries, store.NewAPIKey{UserID: w.userB.ID, OrgID: &w.orgB.ID, Name: "b", Scopes: []string{"read", "write"}})
	must(err)
	_, err = w.st.SetQuota(ctx, sys, store.QuotaTarget{Scope: store.QuotaOrg, ID: w.orgB.ID}, store.Limits{MaxSessions: ptr(int32(3))})
	must(err)
	must(w.st.Audit(ctx, store.AuditEntry{Actor: store.Actor{UserID: &w.userB.ID}, OrgID: &w.orgB.ID, Action: "test.b", TargetType: "org", TargetID: w.orgB.ID.String()}))
	w.sessB, err = w.st.CreateSession(ctx, sys, store.NewSession{OrgID: w.orgB.ID, UserID: w.userB.ID, Template: "t", Runtime: "r"})
	must(err)
	return w
}

// mkUser creates a password user (testPassword) with no memberships.
func (w *world) mkUser(name string, platformAdmin bool) store.User {
	w.t.Helper()
	hash, err := authn.HashPassword(testPassword)
	if err != nil {
		w.t.Fatal(err)
	}
	u, err := w.st.CreateUser(context.Background(), store.NewUser{Username: name, Email: name + "@example.test", PasswordHash: &hash, PlatformAdmin: platformAdmin})
	if err != nil {
		w.t.Fatal(err)
	}
	return u
}

// noPlugins is a FAKE plugin host: the REST tests reach sessions only
// through the store. Its one workspace describes itself (no secrets), so a
// session can be admitted; every other plugin call fails as an unavailable
// plugin does, so nothing ever starts.
type noPlugins struct{}

var errNoPlugin = errors.New("no plugins in REST tests")

func (noPlugins) Runtime(string) (connect.Runtime, error)     { return nil, errNoPlugin }
func (noPlugins) Workspace(string) (connect.Workspace, error) { return describeOnly{}, nil }

// describeOnly is a FAKE workspace that only describes itself.
type describeOnly struct{}

func (describeOnly) Describe(context.Context, workspace.DescribeRequest) (workspace.DescribeResponse, error) {
	return workspace.DescribeResponse{}, nil
}

func (describeOnly) LaunchSpec(context.Context, workspace.LaunchSpecRequest) (workspace.LaunchSpecResponse, error) {
	return workspace.LaunchSpecResponse{}, errNoPlugin
}
func (noPlugins) WorkspaceSchema(context.Context, string) (schema.Object, error) {
	return schema.Object{}, errNoPlugin
}
func (noPlugins) RuntimeRestarted(func(string)) {}

func testSealer(t *testing.T) *session.Sealer {
	t.Helper()
	s, err := session.NewSealer(bytes.Repeat([]byte{7}, session.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// caller is a credential to make requests with.
type caller struct {
	cookie, csrf string // a login session
	key          string // or an API key
}

// session opens a login session for u directly in the store (no password
// round trip) and returns its cookie and CSRF token.
func (w *world) session(u store.User) caller {
	w.t.Helper()
	token, hash := authn.NewToken()
	csrf := authn.CSRFToken(token)
	_, err := w.st.CreateLoginSession(context.Background(), store.NewLoginSession{TokenHash: hash, CSRFHash: authn.HashToken(csrf), UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		w.t.Fatal(err)
	}
	return caller{cookie: token, csrf: csrf}
}

// apiKey mints a key for u directly in the store.
func (w *world) apiKey(u store.User, scopes ...string) caller {
	w.t.Helper()
	secret, _, err := authn.MintAPIKey(context.Background(), w.st.Queries, store.NewAPIKey{UserID: u.ID, Scopes: scopes})
	if err != nil {
		w.t.Fatal(err)
	}
	return caller{key: secret}
}

// response is a finished request.
type response struct {
	status  int
	body    []byte
	header  http.Header
	cookies []*http.Cookie
	// closes: the answer asked to close the connection.
	closes bool
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%v in %s", err, r.body)
	}
}

// do makes a request as c (zero caller: anonymous).
func (w *world) do(c caller, method, path, body string, hdr ...string) response {
	w.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: w.srv.cookieName, Value: c.cookie})
		if c.csrf != "" {
			req.Header.Set(HeaderCSRF, c.csrf)
		}
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := w.srv.App().Test(req, -1)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: b, header: resp.Header, cookies: resp.Cookies(), closes: resp.Close}
}

// digest fingerprints every table that holds tenant state, to prove a
// refused request changed nothing.
func (w *world) digest() string {
	w.t.Helper()
	var out strings.Builder
	for _, q := range []string{
		`SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM organisations t`,
		`SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM users t`,
		`SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM memberships t`,
		`SELECT coalesce(string_agg((t.id, t.revoked_at, t.name, t.scopes, t.org_id)::text, '|' ORDER BY t.id), '') FROM api_keys t`,
		`SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM quotas t`,
		`SELECT coalesce(string_agg((t.id, t.revoked_at)::text, '|' ORDER BY t.id), '') FROM login_sessions t`,
		`SELECT coalesce(string_agg((t.id, t.org_id, t.user_id, t.state, t.instance_id)::text, '|' ORDER BY t.id), '') FROM sessions t`,
		`SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM relay_tickets t`,
		`SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM app_tokens t`,
		`SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM app_sessions t`,
		// A denial's own trace (access.denied, access_denials) is what
		// a refused request is expected to write.
		`SELECT count(*)::text FROM audit_log WHERE action <> 'access.denied'`,
	} {
		var s string
		if err := w.st.Pool().QueryRow(context.Background(), q).Scan(&s); err != nil {
			w.t.Fatal(err)
		}
		out.WriteString(s)
		out.WriteString("\n")
	}
	return out.String()
}

func t0() context.Context { return context.Background() }

func sha256Bytes(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
