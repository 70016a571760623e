package jupyter_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/workspace"

	"github.com/atrium-hq/atrium/plugins/workspace-jupyter/jupyter"
)

// serve runs the plugin over a real gRPC boundary and configures it with
// cfg, as the core would.
func serve(t *testing.T, cfg string) connect.Workspace {
	t.Helper()
	base, ws := plugintest.ServeWorkspace(t, jupyter.New())
	if err := base.Configure(ctx(t), plugin.ConfigureRequest{Config: json.RawMessage(cfg), Instance: "jupyter"}); err != nil {
		t.Fatalf("Configure(%s): %v", cfg, err)
	}
	return ws
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// request is what the core sends for a session in isolation mode.
func request() workspace.LaunchSpecRequest {
	return workspace.LaunchSpecRequest{
		Session:     runtime.Session{ID: "s-1", UserID: "u-1", OrgID: "o-1", Template: "jupyter"},
		Resources:   launch.Resources{CPU: 2, MemoryBytes: 4 << 30, Pids: 1024},
		Secrets:     map[string]string{"app_token": "t0ken-of-s-1"},
		HomeVolume:  "atrium-home-u-1",
		AppOrigin:   "https://s-1.apps.example.com",
		AppBasePath: "/",
	}
}

// TestConformance: the contract every workspace plugin keeps, with the
// exact spec for the defaults.
func TestConformance(t *testing.T) {
	req := request()
	plugintest.WorkspaceConformance(t, plugintest.WorkspaceSuite{
		New:      func() workspace.Workspace { return jupyter.New() },
		Name:     "workspace-jupyter",
		Config:   json.RawMessage(`{}`),
		Defaults: map[string]string{"image": `"atrium/jupyter:1"`},
		Request:  req,
		Want: launch.Spec{
			Image: "atrium/jupyter:1",
			// On an origin of its own Jupyter's base URL is the root: only
			// the origin is said.
			Env:        map[string]string{"ATRIUM_ALLOW_ORIGIN": "https://s-1.apps.example.com"},
			Secrets:    map[string]string{"ATRIUM_JUPYTER_TOKEN": "t0ken-of-s-1"},
			Resources:  req.Resources,
			Ports:      []launch.Port{{Name: "http", Port: 8888}},
			HomePath:   "/home/atrium",
			HomeVolume: "atrium-home-u-1",
			User:       "1000:1000",
			WorkingDir: "/home/atrium",
		},
		BadConfigs: []plugintest.BadConfig{
			{Config: json.RawMessage(`{"image": 3}`), Mentions: "image"},
			{Config: json.RawMessage(`{"image": "atrium/jupyter 1"}`), Mentions: "image"},
			{Config: json.RawMessage(`{"colour": "blue"}`), Mentions: "colour"},
		},
		BadTemplateConfig: json.RawMessage(`{"geometry": "1280x800"}`),
	})
}

func TestDescribe(t *testing.T) {
	ws := serve(t, `{}`)
	got, err := ws.Describe(ctx(t), workspace.DescribeRequest{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if got.Protocol != workspace.ProtocolHTTP || got.PrimaryPort != "http" || got.DisplayName != "Jupyter" {
		t.Errorf("Describe = protocol %q, primary port %q, name %q", got.Protocol, got.PrimaryPort, got.DisplayName)
	}
	if want := []launch.Port{{Name: "http", Port: 8888}}; !reflect.DeepEqual(got.Ports, want) {
		t.Errorf("ports = %v, want %v", got.Ports, want)
	}
	r := got.Readiness
	if r.Kind != workspace.ProbeHTTP || r.Port != "http" || r.Path != "/api" || r.Interval <= 0 || r.Timeout <= 0 {
		t.Errorf("readiness = %+v, want an HTTP probe of /api on http with an interval and a timeout", r)
	}
	// A per-session token that the core's proxy presents as Jupyter's
	// "Authorization: token …", and Jupyter's base_url kept in the path.
	if !reflect.DeepEqual(got.Secrets, []string{"app_token"}) {
		t.Errorf("secrets = %v, want [app_token]", got.Secrets)
	}
	if want := (&workspace.UpstreamAuth{Header: "Authorization", Prefix: "token ", Secret: "app_token"}); !reflect.DeepEqual(got.UpstreamAuth, want) {
		t.Errorf("upstream auth = %+v, want %+v", got.UpstreamAuth, want)
	}
	if !got.KeepBasePath {
		t.Error("keep base path is off; Jupyter routes by its base_url")
	}
}

// TestLaunchSpecPathMode: under the core's path mode Jupyter is told its
// base URL and the core's origin.
func TestLaunchSpecPathMode(t *testing.T) {
	ws := serve(t, `{}`)
	req := request()
	req.AppOrigin, req.AppBasePath = "http://127.0.0.1:8080", "/apps/s-1/"
	resp, err := ws.LaunchSpec(ctx(t), req)
	if err != nil {
		t.Fatalf("LaunchSpec: %v", err)
	}
	want := map[string]string{"ATRIUM_BASE_PATH": "/apps/s-1", "ATRIUM_ALLOW_ORIGIN": "http://127.0.0.1:8080"}
	if !reflect.DeepEqual(resp.Spec.Env, want) {
		t.Errorf("env = %v, want %v", resp.Spec.Env, want)
	}
}
