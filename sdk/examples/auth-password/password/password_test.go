package password_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"

	"example.com/atrium-auth-password/password"
)

const pagesURL = "https://atrium.example/api/v1/auth/pw/pages/"

// serve runs the plugin in-process over go-plugin, configured with ann's
// account (password "s3cret").
func serve(t *testing.T) connect.Auth {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	base, a := plugintest.ServeAuth(t, password.New())
	info, err := base.Info(context.Background())
	if err != nil || !info.Has(connect.CapPages) {
		t.Fatalf("Info = %+v, %v; want capability pages", info, err)
	}
	cfg, _ := json.Marshal(map[string]any{"user": map[string]any{"ann": map[string]any{
		"password_hash": string(hash), "email": "ann@corp.com", "name": "Ann", "groups": []string{"eng"},
	}}})
	if err := base.Configure(context.Background(), plugin.ConfigureRequest{Config: cfg, Instance: "pw"}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return a
}

func post(a connect.Auth, user, pw string) (auth.PageResponse, error) {
	return a.ServePage(context.Background(), auth.PageRequest{
		Method: "POST", Path: "login", Query: url.Values{"next": {"/sessions"}}, PagesURL: pagesURL,
		Form: url.Values{"username": {user}, "password": {pw}},
	})
}

func TestLoginForm(t *testing.T) {
	a := serve(t)
	ctx := context.Background()

	got, err := a.ServePage(ctx, auth.PageRequest{Method: "GET", Path: "login", Query: url.Values{"next": {"/sessions"}}, PagesURL: pagesURL})
	if err != nil || got.Login != nil || got.Status != 200 || !strings.Contains(string(got.Body), `action="`+pagesURL+`login?next=%2Fsessions"`) {
		t.Fatalf("GET login = %d %s, %v; want the form posting back with next", got.Status, got.Body, err)
	}

	ok, err := post(a, "ann", "s3cret")
	if err != nil || ok.Login == nil || ok.Username != "ann" {
		t.Fatalf("right password = %+v, %v; want a login", ok, err)
	}
	want := auth.Identity{Issuer: "auth-password/pw", Subject: "ann", Username: "ann", Email: "ann@corp.com", Name: "Ann", Groups: []string{"eng"}}
	if id := ok.Login.Identity; id.Issuer != want.Issuer || id.Subject != want.Subject || id.Username != want.Username ||
		id.Email != want.Email || id.Name != want.Name || len(id.Groups) != 1 || id.Groups[0] != "eng" {
		t.Errorf("identity = %+v, want %+v", id, want)
	}

	for _, c := range [][2]string{{"ann", "wrong"}, {"bob", "s3cret"}, {"", ""}} {
		bad, err := post(a, c[0], c[1])
		if err != nil || bad.Login != nil || bad.Status != 401 || bad.Username != c[0] || !strings.Contains(string(bad.Body), "Wrong username or password") {
			t.Errorf("POST %q/%q = %d %s, %v; want 401 and the form saying so", c[0], c[1], bad.Status, bad.Body, err)
		}
	}

	if nf, err := a.ServePage(ctx, auth.PageRequest{Method: "GET", Path: "admin", PagesURL: pagesURL}); err != nil || nf.Status != 404 {
		t.Errorf("GET admin = %d, %v; want 404", nf.Status, err)
	}
}

func TestBeginLoginSendsToTheForm(t *testing.T) {
	a := serve(t)
	ctx := context.Background()
	b, err := a.BeginLogin(ctx, auth.BeginLoginRequest{RedirectURL: "https://atrium.example/api/v1/auth/pw/callback"})
	if err != nil || b.AuthURL != pagesURL+"login" {
		t.Fatalf("BeginLogin = %+v, %v; want the form", b, err)
	}
	if _, err := a.CompleteLogin(ctx, auth.CompleteLoginRequest{}); err == nil {
		t.Error("CompleteLogin succeeded; no provider calls this plugin back")
	}
}

func TestConfigRefusesABadHash(t *testing.T) {
	base, _ := plugintest.ServeAuth(t, password.New())
	cfg := json.RawMessage(`{"user":{"ann":{"password_hash":"plain"}}}`)
	err := base.Configure(context.Background(), plugin.ConfigureRequest{Config: cfg, Instance: "pw"})
	if err == nil || !strings.Contains(err.Error(), "not a bcrypt hash") {
		t.Fatalf("Configure with a plain password: %v; want it refused", err)
	}
}
