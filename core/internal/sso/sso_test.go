package sso_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/plugins/auth-oidc/oidcfake"
)

// fakeWorld runs the core against the FAKE OpenID provider of oidcfake,
// which can mint the broken tokens a real provider never would.
func fakeWorld(t *testing.T, extra string) (*world, *oidcfake.Provider) {
	t.Helper()
	op := oidcfake.New(t, "atrium", "fake-secret")
	body := `
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
` + extra + `
  config {
    issuer                = "` + op.Issuer + `"
    client_id             = "atrium"
    client_secret         = env("` + secretEnv + `")
    allowed_email_domains = ["corp.com"]
  }`
	w := newWorld(t, listen(t), "fake-secret", body)
	for _, slug := range []string{"engineering", "operations"} {
		if _, err := w.db.CreateOrg(context.Background(), slug, slug); err != nil {
			t.Fatal(err)
		}
	}
	return w, op
}

// loginOK runs the full redirect flow and returns the new user's id.
func (w *world) loginOK(b *browser, next string) string {
	w.t.Helper()
	status, loc, body := b.get(w.t, w.loginURL(next))
	if status != http.StatusFound || loc != next {
		w.t.Fatalf("login ended with %d Location %q: %s", status, loc, body)
	}
	var userID string
	err := w.db.Pool().QueryRow(context.Background(), `SELECT user_id::text FROM login_sessions ORDER BY created_at DESC LIMIT 1`).Scan(&userID)
	if err != nil {
		w.t.Fatalf("no login session after login: %v", err)
	}
	var session bool
	for _, c := range b.Jar.Cookies(b.core) {
		session = session || (c.Name == sessCookie && c.Value != "")
	}
	if !session {
		w.t.Fatal("no session cookie after login")
	}
	return userID
}

func TestLoginCreatesUserAndFollowsGroups(t *testing.T) {
	w, op := fakeWorld(t, `platform_admin_groups = ["atrium-admins"]`)
	op.SetClaims(map[string]any{"sub": "ann-1", "email": "ann@corp.com", "email_verified": true, "name": "Ann", "preferred_username": "ann", "groups": []any{"eng"}})
	user := w.loginOK(w.browser(), "/sessions")
	if got := w.roles(user); got != "engineering=member" {
		t.Fatalf("roles after first login = %q", got)
	}
	if n := w.count(`SELECT count(*) FROM users WHERE id = $1 AND username = 'ann' AND email = 'ann@corp.com' AND NOT platform_admin`, user); n != 1 {
		t.Fatal("user not created as ann@corp.com")
	}
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action IN ('user.create', 'membership.create', 'auth.login')`); n != 3 {
		t.Errorf("audit rows for the first login = %d, want user.create, membership.create, auth.login", n)
	}

	// A hand-made membership survives mapping changes.
	ctx := context.Background()
	manual, err := w.db.CreateOrg(ctx, "manual", "Manual")
	if err != nil {
		t.Fatal(err)
	}
	var uid = mustUUID(t, user)
	if _, err := w.db.AddMember(ctx, store.SystemScope(), manual.ID, uid, store.RoleMember); err != nil {
		t.Fatal(err)
	}

	op.SetClaims(map[string]any{"sub": "ann-1", "email": "ann.new@corp.com", "email_verified": true, "groups": []any{"eng", "eng-leads", "ops", "atrium-admins"}})
	if again := w.loginOK(w.browser(), "/"); again != user {
		t.Fatalf("second login made user %s, want %s (identity by issuer+subject, not e-mail)", again, user)
	}
	if got := w.roles(user); got != "engineering=org_admin,manual=member,operations=member" {
		t.Fatalf("roles after promotion = %q", got)
	}
	if n := w.count(`SELECT count(*) FROM users WHERE platform_admin`); n != 1 {
		t.Error("atrium-admins did not make a platform admin")
	}

	op.SetClaims(map[string]any{"sub": "ann-1", "email": "ann@corp.com", "email_verified": true, "groups": []any{"eng"}})
	w.loginOK(w.browser(), "/")
	if got := w.roles(user); got != "engineering=member,manual=member" {
		t.Fatalf("roles after groups were removed = %q", got)
	}
	if n := w.count(`SELECT count(*) FROM users WHERE platform_admin`); n != 0 {
		t.Error("leaving atrium-admins did not take platform admin away")
	}
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'membership.delete'`); n != 1 {
		t.Errorf("membership.delete audit rows = %d, want 1 (operations)", n)
	}
	if n := w.count(`SELECT count(*) FROM users`); n != 1 {
		t.Errorf("%d users; later logins must not create more", n)
	}
}

func TestSameEmailOtherSubjectIsAnotherUser(t *testing.T) {
	w, op := fakeWorld(t, "")
	op.SetClaims(map[string]any{"sub": "a", "email": "x@corp.com", "email_verified": true, "preferred_username": "x", "groups": []any{}})
	first := w.loginOK(w.browser(), "/")
	op.SetClaims(map[string]any{"sub": "b", "email": "x@corp.com", "email_verified": true, "preferred_username": "x", "groups": []any{}})
	second := w.loginOK(w.browser(), "/")
	if first == second {
		t.Fatal("two subjects with one e-mail were merged into one user")
	}
	if n := w.count(`SELECT count(*) FROM users WHERE username IN ('x', 'x-2')`); n != 2 {
		t.Error("the second user did not get a numbered username")
	}
}

// refused asserts the login routes answered 401 or 400 mentioning
// fragment, and nothing was created.
func refused(t *testing.T, w *world, status int, body, fragment string, wantStatus int) {
	t.Helper()
	if status != wantStatus || !strings.Contains(body, fragment) {
		t.Fatalf("answer %d %s; want %d mentioning %q", status, body, wantStatus, fragment)
	}
	if wantStatus == http.StatusUnauthorized && !strings.Contains(body, "login-refused") {
		t.Errorf("problem type is not login-refused: %s", body)
	}
}

func TestCallbackRefusals(t *testing.T) {
	// callbackURL runs the login up to the core's callback.
	callbackURL := func(t *testing.T, w *world, b *browser) *url.URL {
		t.Helper()
		b.stopAtCallback()
		status, loc, body := b.get(t, w.loginURL("/"))
		if status != http.StatusFound || !strings.Contains(loc, "/callback?") {
			t.Fatalf("provider did not redirect to the callback: %d %q %s", status, loc, body)
		}
		u, _ := url.Parse(loc)
		return u
	}
	t.Run("state missing", func(t *testing.T) {
		w, _ := fakeWorld(t, "")
		b := w.browser()
		u := callbackURL(t, w, b)
		q := u.Query()
		q.Del("state")
		u.RawQuery = q.Encode()
		status, _, body := b.get(t, u.String())
		refused(t, w, status, body, "no state parameter", http.StatusUnauthorized)
		w.nothingCreated("no state parameter")
	})
	t.Run("state mismatched", func(t *testing.T) {
		w, _ := fakeWorld(t, "")
		b := w.browser()
		u := callbackURL(t, w, b)
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		status, _, body := b.get(t, u.String())
		refused(t, w, status, body, "state does not match", http.StatusUnauthorized)
		w.nothingCreated("state does not match")
	})
	t.Run("state reused", func(t *testing.T) {
		w, _ := fakeWorld(t, "")
		b := w.browser()
		u := callbackURL(t, w, b)
		// An attacker replays the callback with the victim's cookie,
		// after the victim used it.
		attempt := cookie(b, "atrium_login")
		if status, _, body := b.get(t, u.String()); status != http.StatusFound {
			t.Fatalf("first callback: %d %s", status, body)
		}
		replay := w.browser()
		replay.Jar.SetCookies(replay.core, []*http.Cookie{{Name: "atrium_login", Value: attempt, Path: "/"}})
		status, _, body := replay.get(t, u.String())
		refused(t, w, status, body, "unknown, expired or already used", http.StatusUnauthorized)
		// Only the victim's own login exists: one user, one session.
		for _, table := range []string{"users", "identities", "login_sessions"} {
			if n := w.count("SELECT count(*) FROM " + table); n != 1 {
				t.Errorf("%d rows in %s after the replay, want the first login's 1", n, table)
			}
		}
		w.audited("already used")
	})
	t.Run("attempt cookie missing", func(t *testing.T) {
		w, _ := fakeWorld(t, "")
		u := callbackURL(t, w, w.browser())
		status, _, body := w.browser().get(t, u.String())
		refused(t, w, status, body, "login-attempt cookie is missing", http.StatusUnauthorized)
		w.nothingCreated("cookie is missing")
	})
	t.Run("another browser's callback", func(t *testing.T) {
		w, _ := fakeWorld(t, "")
		victim, attacker := w.browser(), w.browser()
		u := callbackURL(t, w, attacker) // the attacker's own code and state
		callbackURL(t, w, victim)        // the victim has an attempt of its own
		status, _, body := victim.get(t, u.String())
		refused(t, w, status, body, "state does not match", http.StatusUnauthorized)
		w.nothingCreated("state does not match")
	})
}

func cookie(b *browser, name string) string {
	for _, c := range b.Jar.Cookies(b.core) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func TestTokenRefusalsCreateNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(h, c map[string]any)
		want   string
	}{
		{"nonce mismatch", func(_, c map[string]any) { c["nonce"] = "replayed" }, "nonce does not match"},
		{"wrong issuer", func(_, c map[string]any) { c["iss"] = "https://evil.example" }, "issued by a different provider"},
		{"wrong audience", func(_, c map[string]any) { c["aud"] = "another-client" }, "expected audience"},
		{"alg none", func(h, _ map[string]any) { h["alg"] = "none"; delete(h, "kid") }, "failed verification"},
		{"expired", func(_, c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, "expired at"},
		{"evilcorp.com against corp.com", func(_, c map[string]any) { c["email"] = "mallory@evilcorp.com" }, `domain \"evilcorp.com\" is not allowed`},
		{"groups of the wrong type", func(_, c map[string]any) { c["groups"] = "eng" }, `claim \"groups\" is a string`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, op := fakeWorld(t, "")
			op.SetClaims(map[string]any{"sub": "m", "email": "m@corp.com", "email_verified": true, "groups": []any{"eng"}})
			op.Tamper(tc.tamper)
			status, _, body := w.browser().get(t, w.loginURL("/"))
			refused(t, w, status, body, tc.want, http.StatusUnauthorized)
			w.nothingCreated(strings.ReplaceAll(tc.want, `\"`, `"`))
		})
	}
}

func TestUnsafeNextIsRefused(t *testing.T) {
	w, _ := fakeWorld(t, "")
	for _, next := range []string{"//evil.example", `/\evil.example`, "https://evil.example/", "/\t/evil.example"} {
		status, loc, body := w.browser().get(t, w.loginURL(next))
		if status != http.StatusBadRequest || loc != "" || !strings.Contains(body, "bad-next") {
			t.Errorf("next=%q: %d Location %q %s; want 400 bad-next and no redirect", next, status, loc, body)
		}
	}
	if n := w.count(`SELECT count(*) FROM login_attempts`); n != 0 {
		t.Errorf("%d login attempts stored for refused next values", n)
	}
	w.noRows()
}

func TestSignupDisabledRefusesUnknownIdentity(t *testing.T) {
	w := newWorldNoSignup(t)
	status, _, body := w.browser().get(t, w.loginURL("/"))
	refused(t, w, status, body, "does not allow signup", http.StatusUnauthorized)
	w.nothingCreated("does not allow signup")
}

// newWorldNoSignup is a world whose auth block leaves allow_signup unset.
func newWorldNoSignup(t *testing.T) *world {
	t.Helper()
	op := oidcfake.New(t, "atrium", "fake-secret")
	return newWorld(t, listen(t), "fake-secret", `
  config {
    issuer        = "`+op.Issuer+`"
    client_id     = "atrium"
    client_secret = env("`+secretEnv+`")
  }`)
}

func TestMappedOrgMustExist(t *testing.T) {
	w, op := fakeWorld(t, `
  map_group "ghosts" {
    org  = "nowhere"
    role = "member"
  }`)
	op.SetClaims(map[string]any{"sub": "g", "email": "g@corp.com", "email_verified": true, "groups": []any{"ghosts"}})
	status, _, body := w.browser().get(t, w.loginURL("/"))
	refused(t, w, status, body, `organisation \"nowhere\", which does not exist`, http.StatusUnauthorized)
	w.nothingCreated(`organisation "nowhere"`)
}

func TestProvidersList(t *testing.T) {
	w, _ := fakeWorld(t, "")
	status, _, body := w.browser().get(t, w.base+"/api/v1/auth/providers")
	if status != http.StatusOK || !strings.Contains(body, `"name":"corp"`) || !strings.Contains(body, `"login_url":"/api/v1/auth/corp/login"`) {
		t.Fatalf("providers: %d %s", status, body)
	}
}
