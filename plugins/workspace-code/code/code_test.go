package code_test

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

	"github.com/atrium-hq/atrium/plugins/workspace-code/code"
)

// serve runs the plugin over a real gRPC boundary and configures it with
// cfg, as the core would.
func serve(t *testing.T, cfg string) connect.Workspace {
	t.Helper()
	base, ws := plugintest.ServeWorkspace(t, code.New())
	if err := base.Configure(ctx(t), plugin.ConfigureRequest{Config: json.RawMessage(cfg), Instance: "code"}); err != nil {
		t.Fatalf("Configure(%s): %v", cfg, err)
	}
	return ws
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func request() workspace.LaunchSpecRequest {
	return workspace.LaunchSpecRequest{
		Session:    runtime.Session{ID: "s-1", UserID: "u-1", OrgID: "o-1", Template: "code"},
		Resources:  launch.Resources{CPU: 2, MemoryBytes: 4 << 30, Pids: 1024},
		HomeVolume: "atrium-home-u-1",
	}
}

// TestConformance: the contract every workspace plugin keeps, with the
// exact spec for the defaults.
func TestConformance(t *testing.T) {
	req := request()
	plugintest.WorkspaceConformance(t, plugintest.WorkspaceSuite{
		New:      func() workspace.Workspace { return code.New() },
		Name:     "workspace-code",
		Config:   json.RawMessage(`{}`),
		Defaults: map[string]string{"image": `"atrium/code:1"`},
		Request:  req,
		Want: launch.Spec{
			Image:      "atrium/code:1",
			Resources:  req.Resources,
			Ports:      []launch.Port{{Name: "http", Port: 8080}},
			HomePath:   "/home/atrium",
			HomeVolume: "atrium-home-u-1",
			User:       "1000:1000",
			WorkingDir: "/home/atrium",
		},
		BadConfigs: []plugintest.BadConfig{
			{Config: json.RawMessage(`{"image": 3}`), Mentions: "image"},
			{Config: json.RawMessage(`{"image": "atrium/code 1"}`), Mentions: "image"},
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
	if got.Protocol != workspace.ProtocolHTTP || got.PrimaryPort != "http" || got.DisplayName != "VS Code" {
		t.Errorf("Describe = protocol %q, primary port %q, name %q", got.Protocol, got.PrimaryPort, got.DisplayName)
	}
	if want := []launch.Port{{Name: "http", Port: 8080}}; !reflect.DeepEqual(got.Ports, want) {
		t.Errorf("ports = %v, want %v", got.Ports, want)
	}
	r := got.Readiness
	if r.Kind != workspace.ProbeHTTP || r.Port != "http" || r.Path != "/healthz" || r.Interval <= 0 || r.Timeout <= 0 {
		t.Errorf("readiness = %+v, want an HTTP probe of /healthz on http with an interval and a timeout", r)
	}
	// code-server has no header token to check, so there is no secret;
	// its links are relative, so the proxy strips the base path.
	if len(got.Secrets) != 0 || got.UpstreamAuth != nil || got.KeepBasePath {
		t.Errorf("secrets %v, upstream auth %+v, keep base path %v; want none, nil, false", got.Secrets, got.UpstreamAuth, got.KeepBasePath)
	}
}

// TestLaunchSpecBasePath: in the core's path mode code-server is told the
// path it is served under, for its few absolute URLs; on an origin of its
// own it is told nothing.
func TestLaunchSpecBasePath(t *testing.T) {
	ws := serve(t, `{}`)
	req := request()
	req.AppOrigin, req.AppBasePath = "https://atrium.example.com", "/apps/s-1/"
	resp, err := ws.LaunchSpec(ctx(t), req)
	if err != nil {
		t.Fatalf("LaunchSpec: %v", err)
	}
	if want := map[string]string{"ATRIUM_BASE_PATH": "/apps/s-1"}; !reflect.DeepEqual(resp.Spec.Env, want) {
		t.Errorf("path mode: env %v, want %v", resp.Spec.Env, want)
	}
	req.AppOrigin, req.AppBasePath = "https://s-1.apps.example.com", "/"
	if resp, err = ws.LaunchSpec(ctx(t), req); err != nil {
		t.Fatalf("LaunchSpec: %v", err)
	}
	if resp.Spec.Env != nil {
		t.Errorf("own origin: env %v, want none", resp.Spec.Env)
	}
}
