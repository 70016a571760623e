package httpapp_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/workspace"
	"github.com/atrium-hq/atrium/sdk/workspace/httpapp"
)

// app is a web app that uses every part of a Spec.
var app = httpapp.Spec{
	Plugin:       plugin.Info{Name: "workspace-test", Version: "0.0.1"},
	DefaultImage: "example/app:1",
	Port:         8000,
	ReadyPath:    "/ready",
	BasePathEnv:  "APP_BASE",
	KeepBasePath: true,
	OriginEnv:    "APP_ORIGIN",
	Token:        &httpapp.Token{Env: "APP_TOKEN", Header: "Authorization", Prefix: "token "},
}

// serve runs spec's plugin over a real gRPC boundary, configured.
func serve(t *testing.T, spec httpapp.Spec) connect.Workspace {
	t.Helper()
	base, ws := plugintest.ServeWorkspace(t, httpapp.New(spec))
	if err := base.Configure(ctx(t), plugin.ConfigureRequest{Config: json.RawMessage(`{}`)}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return ws
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func request(origin, base string, secrets map[string]string) workspace.LaunchSpecRequest {
	return workspace.LaunchSpecRequest{Session: runtime.Session{ID: "s-1"}, Secrets: secrets, AppOrigin: origin, AppBasePath: base}
}

// TestTokenAndLocation: the token is declared as a secret with its
// upstream header, reaches the container as a secret, and the app is told
// its origin and base path (not at all at the root).
func TestTokenAndLocation(t *testing.T) {
	ws := serve(t, app)
	d, err := ws.Describe(ctx(t), workspace.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := &workspace.UpstreamAuth{Header: "Authorization", Prefix: "token ", Secret: httpapp.TokenSecret}
	if !reflect.DeepEqual(d.Secrets, []string{httpapp.TokenSecret}) || !reflect.DeepEqual(d.UpstreamAuth, want) || !d.KeepBasePath {
		t.Errorf("Describe: secrets %v, upstream auth %+v, keep base path %v; want [%s], %+v, true", d.Secrets, d.UpstreamAuth, d.KeepBasePath, httpapp.TokenSecret, want)
	}

	secrets := map[string]string{httpapp.TokenSecret: "t0ken"}
	for _, c := range []struct {
		origin, base string
		env          map[string]string
	}{
		{"http://atrium.test:8080", "/apps/s-1/", map[string]string{"APP_BASE": "/apps/s-1", "APP_ORIGIN": "http://atrium.test:8080"}},
		{"https://s-1.apps.example.com", "/", map[string]string{"APP_ORIGIN": "https://s-1.apps.example.com"}},
		{"", "", nil}, // a core that does not say
	} {
		resp, err := ws.LaunchSpec(ctx(t), request(c.origin, c.base, secrets))
		if err != nil {
			t.Fatalf("LaunchSpec(%q, %q): %v", c.origin, c.base, err)
		}
		if !reflect.DeepEqual(resp.Spec.Env, c.env) {
			t.Errorf("LaunchSpec(%q, %q): env %v, want %v", c.origin, c.base, resp.Spec.Env, c.env)
		}
		if !reflect.DeepEqual(resp.Spec.Secrets, map[string]string{"APP_TOKEN": "t0ken"}) {
			t.Errorf("LaunchSpec: secrets %v, want the token as APP_TOKEN", resp.Spec.Secrets)
		}
	}
	if _, err := ws.LaunchSpec(ctx(t), request("", "", nil)); err == nil || !strings.Contains(err.Error(), httpapp.TokenSecret) {
		t.Errorf("LaunchSpec without the token secret: %v, want an error naming it", err)
	}
}

// TestPlainApp: a Spec that asks for nothing gets no secret, no upstream
// header, no environment, and its base path stripped.
func TestPlainApp(t *testing.T) {
	ws := serve(t, httpapp.Spec{Plugin: plugin.Info{Name: "workspace-plain"}, DefaultImage: "example/plain:1", Port: 8000, ReadyPath: "/"})
	d, err := ws.Describe(ctx(t), workspace.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Secrets != nil || d.UpstreamAuth != nil || d.KeepBasePath {
		t.Errorf("Describe: secrets %v, upstream auth %+v, keep base path %v; want none", d.Secrets, d.UpstreamAuth, d.KeepBasePath)
	}
	resp, err := ws.LaunchSpec(ctx(t), request("http://atrium.test", "/apps/s-1/", nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Spec.Env != nil || resp.Spec.Secrets != nil {
		t.Errorf("LaunchSpec: env %v, secrets %v; want none", resp.Spec.Env, resp.Spec.Secrets)
	}
}

func TestContradictorySpecRefused(t *testing.T) {
	for _, spec := range []httpapp.Spec{
		{Plugin: plugin.Info{Name: "a"}, KeepBasePath: true},
		{Plugin: plugin.Info{Name: "b"}, Token: &httpapp.Token{Header: "Authorization"}},
		{Plugin: plugin.Info{Name: "c"}, Token: &httpapp.Token{Env: "T"}},
	} {
		base, _ := plugintest.ServeWorkspace(t, httpapp.New(spec))
		if err := base.Configure(ctx(t), plugin.ConfigureRequest{Config: json.RawMessage(`{}`)}); err == nil {
			t.Errorf("Configure of %+v succeeded", spec)
		}
	}
}
