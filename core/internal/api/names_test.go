package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/problem"
)

// TestNameLimits: every API entry point that takes a name refuses one
// that breaks a rule with 400 problem+json naming the field and the rule,
// and writes nothing: user creation, profile edits by the user and by a
// platform admin, organisations, and the first-start setup.
func TestNameLimits(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	root, me := w.session(w.root), w.session(w.userA)
	origin := []string{"Origin", "http://atrium.test"}
	user := func(field, value string) string {
		b := map[string]string{"username": "fine-name", field: value}
		j, _ := json.Marshal(b)
		return string(j)
	}
	cases := []struct {
		name, method, path, body string
		as                       caller
		field, rule              string
	}{
		{"long username", "POST", "/api/v1/users", user("username", strings.Repeat("a", 10000)), root, "username", "length"},
		{"look-alike username", "POST", "/api/v1/users", user("username", "\u0430dmin"), root, "username", "characters"},
		{"username with a space", "POST", "/api/v1/users", user("username", "ad min"), root, "username", "characters"},
		{"right-to-left override", "POST", "/api/v1/users", user("display_name", "evil\u202egnp.exe"), root, "display_name", "characters"},
		{"long display name", "POST", "/api/v1/users", user("display_name", strings.Repeat("x", 3<<10)), root, "display_name", "length"},
		{"invalid e-mail", "POST", "/api/v1/users", user("email", "not an address"), root, "email", "syntax"},
		{"own display name", "PATCH", "/api/v1/me", `{"display_name":"a\u202eb"}`, me, "display_name", "characters"},
		{"own e-mail", "PATCH", "/api/v1/me", `{"email":"Alice <a@example.com>"}`, me, "email", "syntax"},
		{"admin edits a profile", "PATCH", "/api/v1/users/" + w.userA.ID.String(), `{"display_name":"line\nbreak"}`, root, "display_name", "characters"},
		{"organisation slug", "POST", "/api/v1/orgs", `{"slug":"Bad_Slug","name":"Fine"}`, root, "slug", "characters"},
		{"organisation name", "POST", "/api/v1/orgs", `{"slug":"fine","name":"x\u202ey"}`, root, "name", "characters"},
		{"organisation rename", "PATCH", w.orgPath(w.orgA), fmt.Sprintf(`{"name":%q}`, strings.Repeat("n", 129)), w.session(w.adminA), "name", "length"},
	}
	for _, c := range cases {
		before := w.digest()
		r := w.do(c.as, c.method, c.path, c.body, origin...)
		checkNameRefusal(t, c.name, r, c.field, c.rule)
		if w.digest() != before {
			t.Errorf("%s: the refusal changed state", c.name)
		}
	}

	// The setup page posts here; a refused name leaves the token usable.
	ctx := context.Background()
	if _, err := w.st.Pool().Exec(ctx, `TRUNCATE users, organisations CASCADE`); err != nil {
		t.Fatal(err)
	}
	token := "setup-token-for-names"
	if err := w.st.CreateSetupToken(ctx, sha256Bytes(token), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	setup := func(user, email string) response {
		return w.do(caller{}, "POST", "/api/v1/setup", fmt.Sprintf(`{"token":%q,"username":%q,"email":%q,"password":%q}`, token, user, email, testPassword))
	}
	checkNameRefusal(t, "setup username", setup("\u0430dmin", ""), "username", "characters")
	checkNameRefusal(t, "setup e-mail", setup("boss", "boss@"), "email", "syntax")
	if r := setup("boss", "boss@example.com"); r.status != 201 {
		t.Fatalf("setup after refusals: %d %s", r.status, r.body)
	}
}

func checkNameRefusal(t *testing.T, name string, r response, field, rule string) {
	t.Helper()
	var p problem.Problem
	_ = json.Unmarshal(r.body, &p)
	if r.status != 400 || r.header.Get("Content-Type") != "application/problem+json" || !strings.HasSuffix(p.Type, "/invalid-name") ||
		len(p.Errors) != 1 || p.Errors[0].Field != field || p.Errors[0].Rule != rule {
		t.Errorf("%s: %d %s %s; want 400 invalid-name naming %s and rule %s", name, r.status, r.header.Get("Content-Type"), r.body, field, rule)
	}
}
