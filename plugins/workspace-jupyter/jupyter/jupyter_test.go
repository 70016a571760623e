package jupyter_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
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

func TestInfoAndSchema(t *testing.T) {
	base, _ := plugintest.ServeWorkspace(t, jupyter.New())
	info, err := base.Info(ctx(t))
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Name != "workspace-jupyter" || info.Kind != plugin.KindWorkspace || info.APIVersion != workspace.APIVersion {
		t.Fatalf("Info = %+v", info)
	}
	s, err := base.ConfigSchema(ctx(t))
	if err != nil {
		t.Fatalf("ConfigSchema: %v", err)
	}
	if len(s.Attrs) != 1 {
		t.Errorf("schema has attributes %v, want image alone", s.Attrs)
	}
	if got, _ := s.Attrs["image"].Default.(json.RawMessage); string(got) != `"atrium/jupyter:1"` {
		t.Errorf("default image = %s, want \"atrium/jupyter:1\"", got)
	}
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

func TestLaunchSpecNeedsToken(t *testing.T) {
	ws := serve(t, `{}`)
	req := request()
	req.Secrets = nil
	if _, err := ws.LaunchSpec(ctx(t), req); err == nil || !strings.Contains(err.Error(), "app_token") {
		t.Fatalf("LaunchSpec without the token: %v, want an error naming app_token", err)
	}
}

func TestLaunchSpecDefaults(t *testing.T) {
	ws := serve(t, `{}`)
	req := request()
	resp, err := ws.LaunchSpec(ctx(t), req)
	if err != nil {
		t.Fatalf("LaunchSpec: %v", err)
	}
	want := launch.Spec{
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
	}
	if !reflect.DeepEqual(resp.Spec, want) {
		t.Fatalf("LaunchSpec =\n%+v\nwant\n%+v", resp.Spec, want)
	}
}

func TestLaunchSpecImageOrder(t *testing.T) {
	ws := serve(t, `{"image": "example/jupyter:2"}`)
	resp, err := ws.LaunchSpec(ctx(t), request())
	if err != nil {
		t.Fatalf("LaunchSpec: %v", err)
	}
	if resp.Spec.Image != "example/jupyter:2" {
		t.Errorf("with the plugin's config: image %q, want example/jupyter:2", resp.Spec.Image)
	}

	// A template's config overrides the plugin's; the request's image
	// overrides both.
	req := request()
	req.TemplateConfig = json.RawMessage(`{"image": "example/jupyter:3"}`)
	if resp, err = ws.LaunchSpec(ctx(t), req); err != nil {
		t.Fatalf("LaunchSpec with a template config: %v", err)
	}
	if resp.Spec.Image != "example/jupyter:3" {
		t.Errorf("with a template config: image %q, want example/jupyter:3", resp.Spec.Image)
	}
	req.Image = "example/jupyter:override"
	if resp, err = ws.LaunchSpec(ctx(t), req); err != nil {
		t.Fatalf("LaunchSpec with an image override: %v", err)
	}
	if resp.Spec.Image != "example/jupyter:override" {
		t.Errorf("with an image override: image %q, want the override", resp.Spec.Image)
	}

	// A session without a home volume gets none.
	req.HomeVolume = ""
	if resp, err = ws.LaunchSpec(ctx(t), req); err != nil {
		t.Fatalf("LaunchSpec without a home volume: %v", err)
	}
	if resp.Spec.HomeVolume != "" || resp.Spec.HomePath != "/home/atrium" {
		t.Errorf("without a home volume: volume %q at %q", resp.Spec.HomeVolume, resp.Spec.HomePath)
	}
}

func TestBadConfigRefused(t *testing.T) {
	for _, cfg := range []string{
		`{"image": 3}`,
		`{"image": "atrium/jupyter 1"}`,
		`{"colour": "blue"}`,
	} {
		base, _ := plugintest.ServeWorkspace(t, jupyter.New())
		if err := base.Configure(ctx(t), plugin.ConfigureRequest{Config: json.RawMessage(cfg)}); err == nil {
			t.Errorf("Configure(%s) succeeded, want an error", cfg)
		}
	}

	ws := serve(t, `{}`)
	req := request()
	req.TemplateConfig = json.RawMessage(`{"geometry": "1280x800"}`)
	if _, err := ws.LaunchSpec(ctx(t), req); err == nil || !strings.Contains(err.Error(), "template config") {
		t.Fatalf("LaunchSpec with a bad template config: %v, want an error naming the template config", err)
	}
}

func TestNotConfiguredRefused(t *testing.T) {
	_, ws := plugintest.ServeWorkspace(t, jupyter.New())
	if _, err := ws.LaunchSpec(ctx(t), request()); err == nil {
		t.Fatal("LaunchSpec before Configure succeeded")
	}
}
