package connect_test

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"
)

func TestAuthClient(t *testing.T) {
	ctx := context.Background()
	base, a := plugintest.ServeAuth(t, &fakeAuth{})
	info, err := base.Info(ctx)
	if err != nil || info.Kind != plugin.KindAuth || info.Has(connect.CapLogout) {
		t.Fatalf("Info: %+v, %v; want an auth plugin without logout", info, err)
	}
	if err := base.Configure(ctx, plugin.ConfigureRequest{}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	begin, err := a.BeginLogin(ctx, auth.BeginLoginRequest{RedirectURL: "https://atrium.example/cb"})
	if err != nil {
		t.Fatalf("BeginLogin: %v", err)
	}
	if begin.AuthURL != "https://idp.example/auth?redirect="+url.QueryEscape("https://atrium.example/cb") || string(begin.State) != "state-1" {
		t.Errorf("BeginLogin returned %+v", begin)
	}
	done, err := a.CompleteLogin(ctx, auth.CompleteLoginRequest{
		RedirectURL: "https://atrium.example/cb",
		Params:      url.Values{"sub": {"1234"}, "group": {"admins", "devs"}},
		State:       begin.State,
	})
	if err != nil {
		t.Fatalf("CompleteLogin: %v", err)
	}
	want := auth.Identity{Issuer: "https://idp.example", Subject: "1234", Email: "a@example.com", EmailVerified: true, Name: "A", Username: "a", Groups: []string{"admins", "devs"}}
	if !reflect.DeepEqual(done.Identity, want) || string(done.SessionData) != "sd" || !done.ExpiresAt.Equal(time.Unix(1700003600, 0)) {
		t.Errorf("CompleteLogin returned %+v", done)
	}
	if _, err := a.CompleteLogin(ctx, auth.CompleteLoginRequest{State: []byte("forged")}); err == nil || err.Error() != "state mismatch" {
		t.Errorf("CompleteLogin with forged state: %v; want the plugin's error", err)
	}
	if _, err := a.Logout(ctx, auth.LogoutRequest{}); !errors.Is(err, connect.ErrUnsupported) {
		t.Errorf("Logout without LogoutURLer: %v; want ErrUnsupported", err)
	}
}

func TestAuthLogout(t *testing.T) {
	ctx := context.Background()
	base, a := plugintest.ServeAuth(t, &fakeLogoutAuth{})
	info, err := base.Info(ctx)
	if err != nil || !slices.Contains(info.Capabilities, connect.CapLogout) {
		t.Fatalf("Info: %+v, %v; want the logout capability", info, err)
	}
	if err := base.Configure(ctx, plugin.ConfigureRequest{}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	resp, err := a.Logout(ctx, auth.LogoutRequest{SessionData: []byte("sd"), PostLogoutRedirectURL: "https://atrium.example/"})
	if err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if resp.LogoutURL != "https://idp.example/logout?sd=sd&to=https://atrium.example/" {
		t.Errorf("Logout returned %q", resp.LogoutURL)
	}
}

func TestAuthRefresh(t *testing.T) {
	ctx := context.Background()
	base, a := plugintest.ServeAuth(t, &fakeRefreshAuth{})
	info, err := base.Info(ctx)
	if err != nil || !info.Has(connect.CapRefresh) || info.Has(connect.CapLogout) {
		t.Fatalf("Info: %+v, %v; want refresh and not logout", info, err)
	}
	if err := base.Configure(ctx, plugin.ConfigureRequest{}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	resp, err := a.Refresh(ctx, auth.RefreshRequest{SessionData: []byte("sd")})
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	want := auth.Identity{Issuer: "https://idp.example", Subject: "1234", Groups: []string{"ops"}}
	if !reflect.DeepEqual(resp.Identity, want) || string(resp.SessionData) != "next-sd" || !resp.ExpiresAt.Equal(time.Unix(1700007200, 0)) {
		t.Errorf("Refresh returned %+v", resp)
	}
	if _, err := a.Refresh(ctx, auth.RefreshRequest{SessionData: []byte("gone")}); !errors.Is(err, auth.ErrRefreshRefused) ||
		err.Error() != "refresh refused: the provider refused the refresh token" {
		t.Errorf("refused Refresh: %v; want the plugin's error, as ErrRefreshRefused", err)
	}

	plainBase, plain := plugintest.ServeAuth(t, &fakeAuth{})
	if err := plainBase.Configure(ctx, plugin.ConfigureRequest{}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if _, err := plain.Refresh(ctx, auth.RefreshRequest{}); !errors.Is(err, connect.ErrUnsupported) {
		t.Errorf("Refresh without Refresher: %v; want ErrUnsupported", err)
	}
}
