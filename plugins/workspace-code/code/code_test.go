package code_test

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

func TestInfoAndSchema(t *testing.T) {
	base, _ := plugintest.ServeWorkspace(t, code.New())
	info, err := base.Info(ctx(t))
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Name != "workspace-code" || info.Kind != plugin.KindWorkspace || info.APIVersion != workspace.APIVersion {
		t.Fatalf("Info = %+v", info)
	}
	s, err := base.ConfigSchema(ctx(t))
	if err != nil {
		t.Fatalf("ConfigSchema: %v", err)
	}
	if len(s.Attrs) != 1 {
		t.Errorf("schema has attributes %v, want image alone", s.Attrs)
	}
	if got, _ := s.Attrs["image"].Default.(json.RawMessage); string(got) != `"atrium/code:1"` {
		t.Errorf("default image = %s, want \"atrium/code:1\"", got)
	}
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

func TestLaunchSpecDefaults(t *testing.T) {
	ws := serve(t, `{}`)
	req := request()
	resp, err := ws.LaunchSpec(ctx(t), req)
	if err != nil {
		t.Fatalf("LaunchSpec: %v", err)
	}
	want := launch.Spec{
		Image:      "atrium/code:1",
		Resources:  req.Resources,
		Ports:      []launch.Port{{Name: "http", Port: 8080}},
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
	ws := serve(t, `{"image": "example/code:2"}`)
	resp, err := ws.LaunchSpec(ctx(t), request())
	if err != nil {
		t.Fatalf("LaunchSpec: %v", err)
	}
	if resp.Spec.Image != "example/code:2" {
		t.Errorf("with the plugin's config: image %q, want example/code:2", resp.Spec.Image)
	}

	// A template's config overrides the plugin's; the request's image
	// overrides both.
	req := request()
	req.TemplateConfig = json.RawMessage(`{"image": "example/code:3"}`)
	if resp, err = ws.LaunchSpec(ctx(t), req); err != nil {
		t.Fatalf("LaunchSpec with a template config: %v", err)
	}
	if resp.Spec.Image != "example/code:3" {
		t.Errorf("with a template config: image %q, want example/code:3", resp.Spec.Image)
	}
	req.Image = "example/code:override"
	if resp, err = ws.LaunchSpec(ctx(t), req); err != nil {
		t.Fatalf("LaunchSpec with an image override: %v", err)
	}
	if resp.Spec.Image != "example/code:override" {
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
		`{"image": "atrium/code 1"}`,
		`{"colour": "blue"}`,
	} {
		base, _ := plugintest.ServeWorkspace(t, code.New())
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
	_, ws := plugintest.ServeWorkspace(t, code.New())
	if _, err := ws.LaunchSpec(ctx(t), request()); err == nil {
		t.Fatal("LaunchSpec before Configure succeeded")
	}
}
