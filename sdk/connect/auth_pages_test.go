package connect_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"
)

// fakePagesAuth adds pages to fakeAuth: POST with user=a logs in, anything
// else renders the form.
type fakePagesAuth struct{ fakeAuth }

func (fakePagesAuth) ServePage(_ context.Context, req auth.PageRequest) (auth.PageResponse, error) {
	if req.Method == "POST" && req.Form.Get("user") == "a" {
		return auth.PageResponse{Login: &auth.CompleteLoginResponse{Identity: auth.Identity{Issuer: "pw", Subject: "a"}, SessionData: []byte("sd")}, Username: "a"}, nil
	}
	return auth.PageResponse{Status: 401, ContentType: "text/html", Headers: map[string]string{"Content-Language": "de"}, Username: req.Form.Get("user"), Body: []byte("form " + req.Path + " " + req.Query.Get("next") + " " + req.PagesURL + " " + req.Headers["Accept"])}, nil
}

func TestAuthPagesRoundTrip(t *testing.T) {
	ctx := context.Background()
	base, a := plugintest.ServeAuth(t, &fakePagesAuth{})
	info, err := base.Info(ctx)
	if err != nil || !info.Has(connect.CapPages) {
		t.Fatalf("GetInfo = %+v, %v; want capability pages", info, err)
	}
	if err := base.Configure(ctx, plugin.ConfigureRequest{}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	page, err := a.ServePage(ctx, auth.PageRequest{Method: "GET", Path: "login", Query: url.Values{"next": {"/x"}},
		Headers: map[string]string{"Accept": "text/html"}, PagesURL: "https://core/api/v1/auth/pw/pages/"})
	if err != nil || page.Login != nil || page.Status != 401 || page.ContentType != "text/html" || page.Headers["Content-Language"] != "de" ||
		string(page.Body) != "form login /x https://core/api/v1/auth/pw/pages/ text/html" {
		t.Fatalf("ServePage GET = %+v, %v", page, err)
	}
	login, err := a.ServePage(ctx, auth.PageRequest{Method: "POST", Path: "login", Form: url.Values{"user": {"a"}}})
	if err != nil || login.Login == nil || login.Login.Identity.Subject != "a" || string(login.Login.SessionData) != "sd" || login.Username != "a" {
		t.Fatalf("ServePage POST = %+v, %v; want a login", login, err)
	}
	failed, err := a.ServePage(ctx, auth.PageRequest{Method: "POST", Path: "login", Form: url.Values{"user": {"b"}}})
	if err != nil || failed.Login != nil || failed.Username != "b" {
		t.Fatalf("ServePage failed POST = %+v, %v; want the form and the username tried", failed, err)
	}

	plainBase, plain := plugintest.ServeAuth(t, &fakeAuth{})
	if info, _ := plainBase.Info(ctx); info.Has(connect.CapPages) {
		t.Error("a plugin without ServePage reports pages")
	}
	if err := plainBase.Configure(ctx, plugin.ConfigureRequest{}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if _, err := plain.ServePage(ctx, auth.PageRequest{}); !errors.Is(err, connect.ErrUnsupported) {
		t.Errorf("ServePage without PageServer: %v; want ErrUnsupported", err)
	}
}
