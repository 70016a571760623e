//go:build linux

package sso_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/sso"
	"github.com/atrium-hq/atrium/test/dex"
)

// dexLogin runs the browser's whole login: Atrium's login route, Dex's
// redirects, Dex's password form, and the callback, until the browser is
// back in Atrium. It returns the last answer.
func dexLogin(t *testing.T, w *world, b *browser, email, next string) (int, string, string) {
	t.Helper()
	resp := dex.Login(t, b.Client, w.loginURL(next), email)
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
	d := dex.New(t, dex.Options{Callback: callback})
	ann := dex.User{Email: "ann@corp.com", Username: "ann", UserID: "5d0c6a4e-31c7-4a46-b0b9-3ec4b7a0c1a1", Groups: []string{"eng"}}
	mallory := dex.User{Email: "mallory@evilcorp.com", Username: "mallory", UserID: "f2b1a3c4-0000-4000-8000-000000000001", Groups: []string{"eng-leads"}}
	d.Start(ann, mallory)

	w := newWorld(t, l, dex.ClientSecret, `
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
    issuer                = "`+d.Issuer+`"
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
	status, _, body := dexLogin(t, w, w.browser(), mallory.Email, "/")
	refused(t, w, status, body, `domain \"evilcorp.com\" is not allowed`, http.StatusUnauthorized)
	w.nothingCreated(`domain "evilcorp.com" is not allowed`)

	login := func(next string) string {
		t.Helper()
		b := w.browser()
		status, loc, body := dexLogin(t, w, b, ann.Email, next)
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
	if n := w.count(`SELECT count(*) FROM identities WHERE user_id = $1 AND issuer = $2`, user, d.Issuer); n != 1 {
		t.Fatal("identity not recorded under Dex's issuer")
	}

	// Ann is promoted and joins ops at Dex; Dex restarts with new keys.
	d.Stop()
	ann.Groups = []string{"eng-leads", "ops"}
	d.Start(ann, mallory)
	if again := login("/"); again != user {
		t.Fatalf("second login is user %s, want %s", again, user)
	}
	if got := w.roles(user); got != "engineering=org_admin,operations=member" {
		t.Fatalf("roles after promotion = %q", got)
	}

	// Ann leaves engineering at Dex: the mapped role goes.
	d.Stop()
	ann.Groups = []string{"ops"}
	d.Start(ann, mallory)
	login("/")
	if got := w.roles(user); got != "operations=member" {
		t.Fatalf("roles after leaving eng = %q, want operations=member", got)
	}
	if n := w.count(`SELECT count(*) FROM users`); n != 1 {
		t.Fatalf("%d users after three logins of one person", n)
	}
}

// TestDexRefresh: with refresh = true, the refresh job asks Dex again who a
// logged-in person is: new groups at Dex change the mapped roles without a
// new login, and a person whose grants Dex revoked loses the session at once,
// audited as auth.refresh_failed. Dex keeps its state (keys, refresh
// tokens) across restarts here, as a real provider does.
func TestDexRefresh(t *testing.T) {
	l := listen(t)
	callback := "http://" + l.Addr().String() + "/api/v1/auth/" + authName + "/callback"
	d := dex.New(t, dex.Options{Callback: callback, Persist: true})
	ann := dex.User{Email: "ann@corp.com", Username: "ann", UserID: "5d0c6a4e-31c7-4a46-b0b9-3ec4b7a0c1a1", Groups: []string{"eng"}}
	d.Start(ann)
	w := newWorld(t, l, dex.ClientSecret, `
  allow_signup = true
  map_group "eng" {
    org  = "engineering"
    role = "member"
  }
  map_group "ops" {
    org  = "operations"
    role = "member"
  }
  config {
    issuer        = "`+d.Issuer+`"
    client_id     = "atrium"
    client_secret = env("`+secretEnv+`")
    refresh       = true
  }`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, slug := range []string{"engineering", "operations"} {
		if _, err := w.db.CreateOrg(ctx, slug, slug); err != nil {
			t.Fatal(err)
		}
	}
	b := w.browser()
	if status, loc, body := dexLogin(t, w, b, ann.Email, "/"); status != http.StatusFound || loc != "/" {
		t.Fatalf("login through Dex ended with %d Location %q: %s", status, loc, body)
	}
	var user, session string
	var data []byte
	if err := w.db.Pool().QueryRow(ctx, `SELECT user_id::text, id::text, plugin_session_data FROM login_sessions`).Scan(&user, &session, &data); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"sealed":true`) {
		t.Fatalf("the login session keeps no sealed refresh token: %s", data)
	}
	due := sso.RefreshOptions{After: time.Nanosecond}

	// Not due yet: nothing happens.
	if res, err := w.svc.RefreshDue(ctx, sso.RefreshOptions{After: time.Hour}); err != nil || res != (sso.RefreshResult{}) {
		t.Fatalf("refresh of a fresh session: %+v, %v; want nothing done", res, err)
	}

	// Ann moves from eng to ops at Dex.
	d.Stop()
	ann.Groups = []string{"ops"}
	d.Start(ann)
	res, err := w.svc.RefreshDue(ctx, due)
	if err != nil || res.Refreshed != 1 {
		t.Fatalf("refresh: %+v, %v; want one session refreshed", res, err)
	}
	if got := w.roles(user); got != "operations=member" {
		t.Fatalf("roles after refresh = %q, want operations=member", got)
	}
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'membership.delete' AND details->>'auth' = $1`, authName); n != 1 {
		t.Fatalf("%d membership.delete audit rows after refresh, want 1", n)
	}
	var after []byte
	if err := w.db.Pool().QueryRow(ctx, `SELECT plugin_session_data FROM login_sessions WHERE id = $1`, session).Scan(&after); err != nil || string(after) == string(data) {
		t.Fatalf("the refreshed session data was not stored (%v)", err)
	}

	// Ann is removed at Dex and her grants revoked: the next refresh
	// ends her session. (Dex v2.45.1 on SQLite does not answer a refresh
	// whose static user was removed but whose grant it still holds; the
	// core takes such silence as an outage and keeps trying, so the
	// grant is revoked here as a provider's admin would.)
	d.Stop()
	d.Forget()
	d.Start()
	res, err = w.svc.RefreshDue(ctx, due)
	if err != nil || res.Revoked != 1 {
		t.Fatalf("refresh after removal: %+v, %v; want the session revoked", res, err)
	}
	if n := w.count(`SELECT count(*) FROM login_sessions WHERE id = $1 AND revoked_at IS NOT NULL`, session); n != 1 {
		t.Fatal("the session of a person removed at Dex is still live")
	}
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'auth.refresh_failed' AND target_id = $1`, session); n != 1 {
		t.Fatal("no auth.refresh_failed audit row for the ended session")
	}
	// A revoked session is not claimed again.
	if res, err := w.svc.RefreshDue(ctx, due); err != nil || res != (sso.RefreshResult{}) {
		t.Fatalf("refresh after revocation: %+v, %v; want nothing", res, err)
	}
}
