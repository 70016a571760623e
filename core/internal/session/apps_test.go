package session

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// pathLocator places every app under /apps/{session}/ on one origin, as
// the app proxy does in path mode.
type pathLocator string

func (o pathLocator) AppLocation(id uuid.UUID) (string, string) {
	return string(o), "/apps/" + id.String() + "/"
}

// TestAppLocationAndUpstream: an HTTP workspace is told where its app
// lives, and the proxy gets the workspace's upstream header with this
// session's own secret.
func TestAppLocationAndUpstream(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(func(o *Options) { o.Apps = pathLocator("https://atrium.example.test") })
	ctx := context.Background()
	s, err := m.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	s = e.waitState(s, store.StateRunning)
	if got, want := e.talk(s, "location"), "https://atrium.example.test/apps/"+s.ID.String()+"/"; got != want {
		t.Errorf("the app was told it lives at %q, want %q", got, want)
	}

	up, err := m.AppUpstream(ctx, s)
	must(t, err)
	secrets, err := m.Secrets(ctx, e.scAlice, s.ID)
	must(t, err)
	if up.AuthHeader != "X-Echo-Token" || up.AuthValue != "echo "+secrets["token"] || !up.KeepBasePath {
		t.Errorf("AppUpstream = header %q, value of %d bytes, keep base path %v; want X-Echo-Token, \"echo \" + the session's token, true",
			up.AuthHeader, len(up.AuthValue), up.KeepBasePath)
	}

	// Another session of the same workspace presents its own secret.
	s2, err := m.Create(ctx, e.scBob, CreateRequest{OrgID: e.org.ID, UserID: e.bob.ID, Template: "echo"})
	must(t, err)
	up2, err := m.AppUpstream(ctx, s2)
	must(t, err)
	if up2.AuthValue == up.AuthValue || up2.AuthValue == "" {
		t.Errorf("two sessions present the same upstream credential")
	}
}

func TestCheckUpstreamAuth(t *testing.T) {
	secrets := []string{"token"}
	for _, a := range []workspace.UpstreamAuth{
		{Header: "Authorization", Prefix: "token ", Secret: "token"},
		{Header: "X-App-Token", Secret: "token"},
	} {
		if err := checkUpstreamAuth(a, secrets); err != nil {
			t.Errorf("%+v refused: %v", a, err)
		}
	}
	for _, a := range []workspace.UpstreamAuth{
		{Header: "", Secret: "token"},
		{Header: "X Token", Secret: "token"},
		{Header: "Host", Secret: "token"},
		{Header: "cookie", Secret: "token"},
		{Header: "Content-Length", Secret: "token"},
		{Header: "X-Forwarded-For", Secret: "token"},
		{Header: "Sec-WebSocket-Key", Secret: "token"},
		{Header: "Proxy-Authorization", Secret: "token"},
		{Header: "Authorization", Prefix: "a\r\nX-Evil: 1\r\n", Secret: "token"},
		{Header: "Authorization", Secret: "other"},
	} {
		if err := checkUpstreamAuth(a, secrets); !errors.Is(err, ErrBadUpstreamAuth) {
			t.Errorf("%+v: %v, want ErrBadUpstreamAuth", a, err)
		}
	}
}
