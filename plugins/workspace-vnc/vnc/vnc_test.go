package vnc_test

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

	"github.com/atrium-hq/atrium/plugins/workspace-vnc/vnc"
)

// serve runs the plugin over a real gRPC boundary and configures it with
// cfg, as the core would.
func serve(t *testing.T, cfg string) connect.Workspace {
	t.Helper()
	base, ws := plugintest.ServeWorkspace(t, vnc.New())
	if err := base.Configure(ctx(t), plugin.ConfigureRequest{Config: json.RawMessage(cfg), Instance: "desktop"}); err != nil {
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
		Session:    runtime.Session{ID: "s-1", UserID: "u-1", OrgID: "o-1", Template: "desktop"},
		Resources:  launch.Resources{CPU: 1.5, MemoryBytes: 2 << 30, Pids: 512},
		Secrets:    map[string]string{"vnc_password": "correct-horse-battery"},
		HomeVolume: "atrium-home-u-1",
	}
}

func TestInfoAndSchema(t *testing.T) {
	base, _ := plugintest.ServeWorkspace(t, vnc.New())
	info, err := base.Info(ctx(t))
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Name != "workspace-vnc" || info.Kind != plugin.KindWorkspace || info.APIVersion != workspace.APIVersion {
		t.Fatalf("Info = %+v", info)
	}
	s, err := base.ConfigSchema(ctx(t))
	if err != nil {
		t.Fatalf("ConfigSchema: %v", err)
	}
	for name, want := range map[string]string{"image": `"atrium/desktop:1"`, "geometry": `"1280x800"`, "depth": `24`} {
		a, ok := s.Attrs[name]
		if !ok {
			t.Errorf("schema lacks attribute %q", name)
			continue
		}
		if got, _ := a.Default.(json.RawMessage); string(got) != want {
			t.Errorf("default of %q = %s, want %s", name, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	ws := serve(t, `{}`)
	got, err := ws.Describe(ctx(t), workspace.DescribeRequest{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if got.Protocol != workspace.ProtocolVNC || got.PrimaryPort != "vnc" || got.DisplayName != "Linux desktop" {
		t.Errorf("Describe = protocol %q, primary port %q, name %q", got.Protocol, got.PrimaryPort, got.DisplayName)
	}
	if want := []launch.Port{{Name: "vnc", Port: 5900}}; !reflect.DeepEqual(got.Ports, want) {
		t.Errorf("ports = %v, want %v", got.Ports, want)
	}
	if got.Readiness.Kind != workspace.ProbeRFB || got.Readiness.Port != "vnc" || got.Readiness.Interval <= 0 || got.Readiness.Timeout <= 0 {
		t.Errorf("readiness = %+v, want an RFB probe on vnc with an interval and a timeout", got.Readiness)
	}
	if want := []string{"vnc_password"}; !reflect.DeepEqual(got.Secrets, want) {
		t.Errorf("secrets = %v, want %v", got.Secrets, want)
	}
}

func TestLaunchSpecDefaults(t *testing.T) {
	ws := serve(t, `{"image": "atrium/desktop:1", "geometry": "1280x800", "depth": 24}`)
	req := request()
	resp, err := ws.LaunchSpec(ctx(t), req)
	if err != nil {
		t.Fatalf("LaunchSpec: %v", err)
	}
	want := launch.Spec{
		Image:      "atrium/desktop:1",
		Env:        map[string]string{"ATRIUM_GEOMETRY": "1280x800", "ATRIUM_DEPTH": "24"},
		Secrets:    map[string]string{"ATRIUM_VNC_PASSWORD": "correct-horse-battery"},
		Resources:  req.Resources,
		Ports:      []launch.Port{{Name: "vnc", Port: 5900}},
		HomePath:   "/home/atrium",
		HomeVolume: "atrium-home-u-1",
		User:       "1000:1000",
		WorkingDir: "/home/atrium",
	}
	if !reflect.DeepEqual(resp.Spec, want) {
		t.Fatalf("LaunchSpec =\n%+v\nwant\n%+v", resp.Spec, want)
	}
	for k, v := range resp.Spec.Env {
		if strings.Contains(v, "correct-horse") {
			t.Errorf("the password leaked into the plain environment as %s", k)
		}
	}
}

func TestLaunchSpecOverrides(t *testing.T) {
	ws := serve(t, `{"image": "example/desktop:2", "geometry": "1920x1080"}`)

	// The plugin's config, with the defaults for what it leaves out.
	resp, err := ws.LaunchSpec(ctx(t), request())
	if err != nil {
		t.Fatalf("LaunchSpec: %v", err)
	}
	if s := resp.Spec; s.Image != "example/desktop:2" || s.Env["ATRIUM_GEOMETRY"] != "1920x1080" || s.Env["ATRIUM_DEPTH"] != "24" {
		t.Errorf("with the plugin's config: image %q, env %v", s.Image, s.Env)
	}

	// A template's config overrides the plugin's; the request's image
	// overrides both.
	req := request()
	req.TemplateConfig = json.RawMessage(`{"image": "example/desktop:3", "depth": 16}`)
	if resp, err = ws.LaunchSpec(ctx(t), req); err != nil {
		t.Fatalf("LaunchSpec with a template config: %v", err)
	}
	if s := resp.Spec; s.Image != "example/desktop:3" || s.Env["ATRIUM_GEOMETRY"] != "1920x1080" || s.Env["ATRIUM_DEPTH"] != "16" {
		t.Errorf("with a template config: image %q, env %v", s.Image, s.Env)
	}
	req.Image = "example/desktop:override"
	if resp, err = ws.LaunchSpec(ctx(t), req); err != nil {
		t.Fatalf("LaunchSpec with an image override: %v", err)
	}
	if resp.Spec.Image != "example/desktop:override" {
		t.Errorf("with an image override: image %q, want the override", resp.Spec.Image)
	}
}

func TestLaunchSpecRefusesMissingPassword(t *testing.T) {
	ws := serve(t, `{}`)
	req := request()
	req.Secrets = nil
	_, err := ws.LaunchSpec(ctx(t), req)
	if err == nil || !strings.Contains(err.Error(), "vnc_password") {
		t.Fatalf("LaunchSpec without the secret: %v, want an error naming vnc_password", err)
	}

	req.Secrets = map[string]string{"vnc_password": "short"}
	_, err = ws.LaunchSpec(ctx(t), req)
	if err == nil {
		t.Fatal("LaunchSpec accepted a 5-byte password")
	}
	if strings.Contains(err.Error(), "short") {
		t.Fatalf("the error %q shows the password", err)
	}
}

func TestBadConfigRefused(t *testing.T) {
	for _, cfg := range []string{
		`{"geometry": "big"}`,
		`{"geometry": "100x100"}`,
		`{"depth": 8}`,
		`{"colour": "blue"}`,
	} {
		base, _ := plugintest.ServeWorkspace(t, vnc.New())
		if err := base.Configure(ctx(t), plugin.ConfigureRequest{Config: json.RawMessage(cfg)}); err == nil {
			t.Errorf("Configure(%s) succeeded, want an error", cfg)
		}
	}

	ws := serve(t, `{}`)
	req := request()
	req.TemplateConfig = json.RawMessage(`{"depth": 12}`)
	if _, err := ws.LaunchSpec(ctx(t), req); err == nil || !strings.Contains(err.Error(), "template config") {
		t.Fatalf("LaunchSpec with a bad template config: %v, want an error naming the template config", err)
	}
}

func TestNotConfiguredRefused(t *testing.T) {
	_, ws := plugintest.ServeWorkspace(t, vnc.New())
	if _, err := ws.LaunchSpec(ctx(t), request()); err == nil {
		t.Fatal("LaunchSpec before Configure succeeded")
	}
}
