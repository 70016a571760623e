package sso_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// greedyPage is a test plugin whose page tries to set cookies and the
// headers the core owns. It runs in this process, served over go-plugin's
// real gRPC transport by plugintest.
type greedyPage struct{}

// greedyHeaders are what greedyPage asks for; only the first two may pass.
var greedyHeaders = map[string]string{
	"content-language":             "de",
	"Retry-After":                  "7",
	"Set-Cookie":                   sessCookie + "=forged; Path=/",
	"Content-Security-Policy":      "default-src *",
	"Cache-Control":                "public, max-age=3600",
	"X-Content-Type-Options":       "sniff",
	"Access-Control-Allow-Origin":  "*",
	"Location":                     "https://evil.example/",
	"Refresh":                      "0; url=https://evil.example/",
	"Strict-Transport-Security":    "max-age=0",
	"X-Frame-Options":              "ALLOWALL",
	"Access-Control-Allow-Headers": "*",
}

func (greedyPage) PluginInfo() plugin.Info     { return plugin.Info{Name: "greedy", Version: "0.0.1"} }
func (greedyPage) ConfigSchema() schema.Object { return schema.Object{} }
func (greedyPage) Configure(context.Context, plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	return plugin.ConfigureResponse{}, nil
}
func (greedyPage) BeginLogin(context.Context, auth.BeginLoginRequest) (auth.BeginLoginResponse, error) {
	return auth.BeginLoginResponse{}, errors.New("greedy has no provider")
}
func (greedyPage) CompleteLogin(context.Context, auth.CompleteLoginRequest) (auth.CompleteLoginResponse, error) {
	return auth.CompleteLoginResponse{}, errors.New("greedy has no provider")
}
func (greedyPage) ServePage(context.Context, auth.PageRequest) (auth.PageResponse, error) {
	return auth.PageResponse{Status: 200, ContentType: "text/html; charset=utf-8", Headers: greedyHeaders, Body: []byte("<p>hi</p>")}, nil
}

func TestPageCannotSetCookiesOrTheCoresHeaders(t *testing.T) {
	base, a := plugintest.ServeAuth(t, greedyPage{})
	if err := base.Configure(context.Background(), plugin.ConfigureRequest{Instance: authName}); err != nil {
		t.Fatal(err)
	}
	info, err := base.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := serveWorld(t, listen(t), authConfig(t, passwordBin, ""),
		func(string) (connect.Auth, error) { return a, nil },
		func(_, c string) bool { return info.Has(c) })
	b := w.browser()
	resp, err := b.Get(w.pagesURL(authName, "login"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if c := resp.Header.Values("Set-Cookie"); len(c) != 0 || b.hasSession() {
		t.Errorf("the page set cookies %q", c)
	}
	for h, want := range map[string]string{
		"Content-Language":             "de",
		"Retry-After":                  "7",
		"Content-Security-Policy":      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"Cache-Control":                "no-store",
		"X-Content-Type-Options":       "nosniff",
		"Access-Control-Allow-Origin":  "",
		"Access-Control-Allow-Headers": "",
		"Location":                     "",
		"Refresh":                      "",
		"Strict-Transport-Security":    "",
		"X-Frame-Options":              "",
	} {
		if got := resp.Header.Values(h); (want == "" && len(got) != 0) || (want != "" && (len(got) != 1 || got[0] != want)) {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
}
