package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func (w *world) auditCount(action string) int {
	w.t.Helper()
	var n int
	if err := w.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = $1`, action).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

func (w *world) login(username, password string, hdr ...string) response {
	w.t.Helper()
	return w.do(caller{}, "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":%q,"password":%q}`, username, password), hdr...)
}

func sessionCookie(r response, name string) *http.Cookie {
	for _, c := range r.cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestLoginRefusalsLookAlike: a wrong password, an unknown user and a
// suspended user get the same answer, and each leaves an audit row without
// the password.
func TestLoginRefusalsLookAlike(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	root := w.session(w.root)
	if r := w.do(root, "PATCH", "/api/v1/users/"+w.userB.ID.String(), `{"status":"suspended"}`); r.status != 200 {
		t.Fatalf("suspend: %d %s", r.status, r.body)
	}
	var bodies []string
	for _, try := range [][2]string{{"user-a", "wrong password!"}, {"nobody", testPassword}, {"user-b", testPassword}} {
		r := w.login(try[0], try[1])
		if r.status != http.StatusUnauthorized || r.header.Get("Set-Cookie") != "" {
			t.Fatalf("login %s: %d %v %s", try[0], r.status, r.header, r.body)
		}
		bodies = append(bodies, string(r.body))
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Fatalf("refusals differ:\n%s", strings.Join(bodies, "\n"))
	}
	if n := w.auditCount("auth.login_failed"); n != 3 {
		t.Fatalf("%d auth.login_failed rows, want 3", n)
	}
	var leaked int
	_ = w.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE details::text LIKE '%' || $1 || '%'`, "wrong password").Scan(&leaked)
	if leaked != 0 || strings.Contains(w.logs.String(), "wrong password") {
		t.Fatal("a password reached the audit log or the server log")
	}
	var username string
	_ = w.st.Pool().QueryRow(context.Background(), `SELECT details->>'username' FROM audit_log WHERE action = 'auth.login_failed' ORDER BY id LIMIT 1`).Scan(&username)
	if username != "user-a" {
		t.Fatalf("audit row names %q, want the username tried", username)
	}
}

// TestLoginSessionLifecycle: login sets a host-only cookie, rotates it at
// the next login, and logout revokes it server-side.
func TestLoginSessionLifecycle(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	r := w.login("user-a", testPassword)
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	ck := sessionCookie(r, "atrium_session")
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" || ck.Secure {
		t.Fatalf("cookie on plain http: %+v (all cookies %v)", ck, r.cookies)
	}
	var lv struct {
		CSRFToken string `json:"csrf_token"`
	}
	r.json(t, &lv)
	first := caller{cookie: ck.Value, csrf: lv.CSRFToken}
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	w.do(first, "GET", "/api/v1/me", "").json(t, &me)
	if me.CSRFToken != lv.CSRFToken || me.CSRFToken == "" {
		t.Fatalf("GET /me csrf %q, login gave %q", me.CSRFToken, lv.CSRFToken)
	}

	// A second login presenting the first cookie rotates it.
	r2 := w.do(first, "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":"user-a","password":%q}`, testPassword))
	ck2 := sessionCookie(r2, "atrium_session")
	if r2.status != 200 || ck2 == nil || ck2.Value == ck.Value {
		t.Fatalf("second login: %d %+v", r2.status, ck2)
	}
	if r := w.do(first, "GET", "/api/v1/me", ""); r.status != 401 {
		t.Fatalf("the cookie presented at login still works: %d", r.status)
	}
	var lv2 struct {
		CSRFToken string `json:"csrf_token"`
	}
	r2.json(t, &lv2)
	second := caller{cookie: ck2.Value, csrf: lv2.CSRFToken}

	// CSRF: cookie writes need the token and a matching Origin.
	if r := w.do(caller{cookie: second.cookie}, "POST", "/api/v1/auth/logout", ""); r.status != 403 {
		t.Fatalf("logout without CSRF token: %d", r.status)
	}
	if r := w.do(second, "POST", "/api/v1/auth/logout", "", "Origin", "https://evil.test"); r.status != 403 {
		t.Fatalf("logout from another origin: %d", r.status)
	}
	if r := w.do(second, "POST", "/api/v1/auth/logout", "", "Origin", "http://atrium.test"); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if r := w.do(second, "GET", "/api/v1/me", ""); r.status != 401 {
		t.Fatalf("session still works after logout: %d", r.status)
	}
	var revoked bool
	_ = w.st.Pool().QueryRow(context.Background(), `SELECT revoked_at IS NOT NULL FROM login_sessions WHERE token_hash = sha256($1::bytea)`, []byte(second.cookie)).Scan(&revoked)
	if !revoked || w.auditCount("auth.logout") != 1 || w.auditCount("auth.login") != 2 {
		t.Fatalf("logout not revoked server-side or not audited: revoked=%v", revoked)
	}
}

func TestSecureCookieBehindHTTPS(t *testing.T) {
	w := newWorld(t, "https://atrium.example.com")
	r := w.login("user-a", testPassword)
	ck := sessionCookie(r, "__Host-atrium_session")
	if r.status != 200 || ck == nil || !ck.Secure || !ck.HttpOnly || ck.Domain != "" || ck.Path != "/" {
		t.Fatalf("https cookie: %d %+v", r.status, r.cookies)
	}
}

// TestAPIKeys: shown once, stored as a hash, read-only keys cannot write,
// revoked, expired and suspended users' keys are refused at once, and no
// key reaches logs or audit rows.
func TestAPIKeys(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	ctx := context.Background()
	sess := w.session(w.userA)
	mk := func(body string) (string, string) {
		t.Helper()
		r := w.do(sess, "POST", "/api/v1/api-keys", body)
		if r.status != 201 {
			t.Fatalf("create key: %d %s", r.status, r.body)
		}
		var v struct {
			ID     string `json:"id"`
			Secret string `json:"secret"`
		}
		r.json(t, &v)
		return v.ID, v.Secret
	}
	rwID, rw := mk(`{"name":"rw","scopes":["read","write"]}`)
	_, ro := mk(`{"name":"ro"}`)

	var stored int
	_ = w.st.Pool().QueryRow(ctx, `SELECT count(*) FROM api_keys k WHERE k::text LIKE '%' || $1 || '%' OR k.hash = convert_to($1, 'UTF8')`, rw).Scan(&stored)
	if stored != 0 {
		t.Fatal("the key's secret is stored")
	}
	if r := w.do(sess, "GET", "/api/v1/api-keys", ""); r.status != 200 || strings.Contains(string(r.body), rw) || strings.Contains(string(r.body), "secret") {
		t.Fatalf("list shows secrets: %s", r.body)
	}
	if r := w.do(caller{key: rw}, "GET", "/api/v1/me", ""); r.status != 200 {
		t.Fatalf("rw key read: %d %s", r.status, r.body)
	}
	before := w.digest()
	if r := w.do(caller{key: ro}, "PATCH", "/api/v1/me", `{"display_name":"changed"}`); r.status != 403 {
		t.Fatalf("read-only key wrote: %d %s", r.status, r.body)
	}
	if w.digest() != before {
		t.Fatal("a refused read-only write changed state")
	}
	if r := w.do(caller{key: ro}, "GET", "/api/v1/me", ""); r.status != 200 {
		t.Fatalf("read-only key read: %d", r.status)
	}
	if r := w.do(caller{key: rw}, "POST", "/api/v1/api-keys", `{}`); r.status != 403 {
		t.Fatalf("a key minted a key: %d", r.status)
	}

	// Revoked: refused on the very next request.
	if r := w.do(sess, "DELETE", "/api/v1/api-keys/"+rwID, ""); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := w.do(caller{key: rw}, "GET", "/api/v1/me", ""); r.status != 401 {
		t.Fatalf("revoked key: %d", r.status)
	}
	// Expired.
	exp := w.apiKey(w.userA, "read")
	if _, err := w.st.Pool().Exec(ctx, `UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND name = ''`, w.userA.ID); err != nil {
		t.Fatal(err)
	}
	if r := w.do(exp, "GET", "/api/v1/me", ""); r.status != 401 {
		t.Fatalf("expired key: %d", r.status)
	}
	// Suspended owner: key and login session refused at once.
	if r := w.do(w.session(w.root), "PATCH", "/api/v1/users/"+w.userA.ID.String(), `{"status":"suspended"}`); r.status != 200 {
		t.Fatalf("suspend: %d %s", r.status, r.body)
	}
	if r := w.do(caller{key: ro}, "GET", "/api/v1/me", ""); r.status != 401 {
		t.Fatalf("suspended user's key: %d", r.status)
	}
	if r := w.do(sess, "GET", "/api/v1/me", ""); r.status != 401 {
		t.Fatalf("suspended user's session: %d", r.status)
	}
	var live int
	_ = w.st.Pool().QueryRow(ctx, `SELECT count(*) FROM login_sessions WHERE user_id = $1 AND revoked_at IS NULL`, w.userA.ID).Scan(&live)
	if live != 0 {
		t.Fatalf("%d login sessions survive suspension", live)
	}

	for _, secret := range []string{rw, ro, exp.key} {
		var n int
		_ = w.st.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log a WHERE a::text LIKE '%' || $1 || '%'`, secret).Scan(&n)
		if n != 0 || strings.Contains(w.logs.String(), secret) {
			t.Fatal("an API key reached the audit log or the server log")
		}
	}
	if w.auditCount("api_key.create") != 2 || w.auditCount("api_key.revoke") != 1 || w.auditCount("user.suspend") != 1 {
		t.Fatal("key changes not audited")
	}
}

// TestFailedUpdateLeavesNothing: a request whose transaction fails half
// way leaves neither its change nor its audit row.
func TestFailedUpdateLeavesNothing(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	root := w.session(w.root)
	before := w.digest()
	// The user is created and audited, then adding it to an organisation
	// that does not exist fails: everything must roll back.
	r := w.do(root, "POST", "/api/v1/users", `{"username":"ghost","password":"long enough password","org_id":"00000000-0000-4000-8000-000000000000"}`)
	if r.status != 404 {
		t.Fatalf("create user in unknown org: %d %s", r.status, r.body)
	}
	if _, err := w.st.UserByUsername(context.Background(), "ghost"); err == nil {
		t.Fatal("the user survived the failed transaction")
	}
	if w.digest() != before || w.auditCount("user.create") != 0 {
		t.Fatal("the failed request left rows behind")
	}
}

// TestSetupOnce: the setup token creates the first admin once.
func TestSetupOnce(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	ctx := context.Background()
	if _, err := w.st.Pool().Exec(ctx, `TRUNCATE users, organisations CASCADE`); err != nil {
		t.Fatal(err)
	}
	token, hash := "setup-token-for-test", sha256Bytes("setup-token-for-test")
	if err := w.st.CreateSetupToken(ctx, hash, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	body := func(tok, user string) string {
		return fmt.Sprintf(`{"token":%q,"username":%q,"password":%q}`, tok, user, testPassword)
	}
	if r := w.do(caller{}, "POST", "/api/v1/setup", body("wrong", "boss")); r.status != 403 {
		t.Fatalf("wrong setup token: %d %s", r.status, r.body)
	}
	if r := w.do(caller{}, "POST", "/api/v1/setup", body(token, "boss")); r.status != 201 {
		t.Fatalf("setup: %d %s", r.status, r.body)
	}
	if r := w.do(caller{}, "POST", "/api/v1/setup", body(token, "boss2")); r.status != 403 {
		t.Fatalf("setup token reused: %d %s", r.status, r.body)
	}
	u, err := w.st.UserByUsername(ctx, "boss")
	if err != nil || !u.PlatformAdmin {
		t.Fatalf("first admin: %+v %v", u, err)
	}
	if r := w.login("boss", testPassword); r.status != 200 {
		t.Fatalf("first admin login: %d", r.status)
	}
}
