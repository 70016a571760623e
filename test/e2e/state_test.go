package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serverOnly is a config with no plugins.
const serverOnly = `
server {
  listen    = "%[3]s"
  state_dir = "%[4]s"
}
`

var setupLink = regexp.MustCompile(`Open (http://\S+)/setup\?token=(\S+) to create the first admin`)

// TestEmbeddedPostgresKeepsDataAcrossRestarts: with no database block the
// core initialises a PostgreSQL in its state directory, prints a setup
// link on first start, keeps what was written across a restart, stops
// PostgreSQL when it stops, and `atrium admin create-user` works beside the
// running server.
func TestEmbeddedPostgresKeepsDataAcrossRestarts(t *testing.T) {
	path, addr, stateDir := writeConfigDB(t, serverOnly, "")
	c := startCoreNoAdmin(t, path, addr)
	var m []string
	waitFor(t, 10*time.Second, "the setup link", func() bool {
		m = setupLink.FindStringSubmatch(c.out.String())
		return m != nil
	})
	if strings.Count(c.out.String(), m[2]) != 1 {
		t.Fatalf("the setup token appears more than once in the output (logged?):\n%s", c.out.String())
	}
	code, body, _ := call(t, "POST", "http://"+addr+"/api/v1/setup", "", "", map[string]string{"token": m[2], "username": "first", "password": "first admin password"})
	if code != http.StatusCreated {
		t.Fatalf("setup: %d %s", code, body)
	}
	// Beside the running server, against its embedded PostgreSQL.
	code, out := runAtriumStdin(t, 60*time.Second, "second user password\n", "admin", "create-user", "-config", path, "-username", "second", "-org", "default")
	if code != 0 {
		t.Fatalf("create-user beside a running server: %d\n%s", code, out)
	}
	if ck, _ := login(t, addr, "second", "second user password"); ck == "" {
		t.Fatal("the user created beside the running server cannot log in")
	}
	c.stop(t)
	pidFile := filepath.Join(stateDir, "postgres", "data", "postmaster.pid")
	if _, err := os.Stat(pidFile); err == nil {
		t.Fatalf("PostgreSQL still runs after the core stopped (%s exists)", pidFile)
	}

	c2 := startCoreNoAdmin(t, path, addr)
	if ck, _ := login(t, addr, "first", "first admin password"); ck == "" {
		t.Fatalf("the first admin is gone after a restart:\n%s", c2.out.String())
	}
	if ck, _ := login(t, addr, "second", "second user password"); ck == "" {
		t.Fatal("the second user is gone after a restart")
	}
	if strings.Contains(c2.out.String(), "/setup?token=") {
		t.Fatalf("a restart with users printed a setup link:\n%s", c2.out.String())
	}
	code, out = runAtrium(t, 60*time.Second, "migrate", "status", "-config", path)
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate status: %d\n%s", code, out)
	}
}

// TestTwoCoresMigrateOneEmptyDatabase: two cores started at once on one
// empty database both serve, and each migration is applied once.
func TestTwoCoresMigrateOneEmptyDatabase(t *testing.T) {
	db := emptyDatabase(t)
	path1, addr1, state1 := writeConfigDB(t, serverOnly, db)
	path2, addr2, state2 := writeConfigDB(t, serverOnly, db)
	// Replicas must share the key that seals session secrets; one with
	// another key refuses to start (server/secretskey_test.go).
	key := bytes.Repeat([]byte{7}, 32)
	for _, dir := range []string{state1, state2} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "session-secrets.key"), key, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	started := make(chan *core, 2)
	for _, pa := range [][2]string{{path1, addr1}, {path2, addr2}} {
		go func() { started <- startCoreNoAdmin(t, pa[0], pa[1]) }()
	}
	c1, c2 := <-started, <-started
	for _, a := range []string{addr1, addr2} {
		if code := getJSON(t, "http://"+a+"/readyz", nil); code != http.StatusOK {
			t.Fatalf("%s /readyz = %d", a, code)
		}
	}
	code, out := runAtrium(t, 30*time.Second, "migrate", "status", "-config", path1)
	var current, latest int
	if _, err := fmt.Sscanf(out, "schema version: %d (this binary: %d)", &current, &latest); code != 0 || err != nil || current != latest || latest < 4 {
		t.Fatalf("migrate status: %d %v\n%s", code, err, out)
	}
	both := c1.out.String() + c2.out.String()
	for v := 1; v <= latest; v++ {
		if n := strings.Count(both, fmt.Sprintf("applying migration: version=%d ", v)); n != 1 {
			t.Errorf("migration %d applied %d times:\n%s", v, n, both)
		}
	}
	if n := sqlInt(t, db, `SELECT count(*) FROM public.atrium_schema_version`); n != 1 {
		t.Errorf("version table has %d rows", n)
	}
}

// TestLoginLogoutThroughTheBinary: the same 401 for a wrong password, an
// unknown user and a suspended user, each audited; logout revokes the
// session server-side; no credential reaches the core's output.
func TestLoginLogoutThroughTheBinary(t *testing.T) {
	db := emptyDatabase(t)
	path, addr, _ := writeConfigDB(t, serverOnly, db)
	c := startCore(t, path, addr)
	base := "http://" + addr + "/api/v1"
	admin, _ := credentials.Load(addr)
	adminCookie := admin.(string)

	// A second user, then suspended through the API by the admin.
	if code, out := runAtriumStdin(t, 60*time.Second, "suspended password\n", "admin", "create-user", "-config", path, "-username", "sus"); code != 0 {
		t.Fatalf("create-user: %s", out)
	}
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	code, body, _ := call(t, "GET", base+"/me", adminCookie, "", nil)
	if code != 200 {
		t.Fatalf("GET /me: %d %s", code, body)
	}
	mustJSON(t, body, &me)
	var users struct {
		Items []struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"items"`
	}
	_, body, _ = call(t, "GET", base+"/users", adminCookie, "", nil)
	mustJSON(t, body, &users)
	var susID string
	for _, u := range users.Items {
		if u.Username == "sus" {
			susID = u.ID
		}
	}
	if code, body, _ := call(t, "PATCH", base+"/users/"+susID, adminCookie, me.CSRFToken, map[string]string{"status": "suspended"}); code != 200 {
		t.Fatalf("suspend: %d %s", code, body)
	}

	var answers []string
	for _, try := range [][2]string{{"admin", "not the password"}, {"ghost", adminPassword}, {"sus", "suspended password"}} {
		code, body, _ := call(t, "POST", base+"/auth/login", "", "", map[string]string{"username": try[0], "password": try[1]})
		if code != http.StatusUnauthorized {
			t.Fatalf("login %s: %d %s", try[0], code, body)
		}
		answers = append(answers, string(body))
	}
	if answers[0] != answers[1] || answers[1] != answers[2] {
		t.Fatalf("refusals differ:\n%s", strings.Join(answers, "\n"))
	}
	if n := sqlInt(t, db, `SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed'`); n != 3 {
		t.Fatalf("%d auth.login_failed audit rows, want 3", n)
	}

	cookie, csrf := login(t, addr, "admin", adminPassword)
	if code, _, _ := call(t, "GET", base+"/me", cookie, "", nil); code != 200 {
		t.Fatalf("GET /me after login: %d", code)
	}
	if code, body, _ := call(t, "POST", base+"/auth/logout", cookie, csrf, nil); code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", code, body)
	}
	if code, _, _ := call(t, "GET", base+"/me", cookie, "", nil); code != http.StatusUnauthorized {
		t.Fatalf("the cookie works after logout: %d", code)
	}
	if code, _, _ := call(t, "GET", base+"/me", adminCookie, "", nil); code != 200 {
		t.Fatalf("logout ended another session too: %d", code)
	}

	out := c.out.String()
	for _, secret := range []string{adminPassword, "not the password", "suspended password", cookie, adminCookie, csrf} {
		if strings.Contains(out, secret) {
			t.Errorf("the core's output holds a credential %q", secret)
		}
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}
