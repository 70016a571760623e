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

// TestConformance: the contract every workspace plugin keeps, with the
// desktop's exact spec for its defaults.
func TestConformance(t *testing.T) {
	req := request()
	plugintest.WorkspaceConformance(t, plugintest.WorkspaceSuite{
		New:      func() workspace.Workspace { return vnc.New() },
		Name:     "workspace-vnc",
		Config:   json.RawMessage(`{"image": "atrium/desktop:1", "geometry": "1280x800", "depth": 24}`),
		Defaults: map[string]string{"image": `"atrium/desktop:1"`, "geometry": `"1280x800"`, "depth": `24`},
		Request:  req,
		Want: launch.Spec{
			Image:      "atrium/desktop:1",
			Env:        map[string]string{"ATRIUM_GEOMETRY": "1280x800", "ATRIUM_DEPTH": "24"},
			Secrets:    map[string]string{"ATRIUM_VNC_PASSWORD": "correct-horse-battery"},
			Resources:  req.Resources,
			Ports:      []launch.Port{{Name: "vnc", Port: 5900}},
			HomePath:   "/home/atrium",
			HomeVolume: "atrium-home-u-1",
			User:       "1000:1000",
			WorkingDir: "/home/atrium",
		},
		BadConfigs: []plugintest.BadConfig{
			{Config: json.RawMessage(`{"geometry": "big"}`), Mentions: "geometry"},
			{Config: json.RawMessage(`{"geometry": "100x100"}`), Mentions: "geometry"},
			{Config: json.RawMessage(`{"depth": 8}`), Mentions: "depth"},
			{Config: json.RawMessage(`{"colour": "blue"}`), Mentions: "colour"},
		},
		BadTemplateConfig: json.RawMessage(`{"depth": 12}`),
	})
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

	// A template's config overrides the plugin's attribute by attribute.
	req := request()
	req.TemplateConfig = json.RawMessage(`{"image": "example/desktop:3", "depth": 16}`)
	if resp, err = ws.LaunchSpec(ctx(t), req); err != nil {
		t.Fatalf("LaunchSpec with a template config: %v", err)
	}
	if s := resp.Spec; s.Image != "example/desktop:3" || s.Env["ATRIUM_GEOMETRY"] != "1920x1080" || s.Env["ATRIUM_DEPTH"] != "16" {
		t.Errorf("with a template config: image %q, env %v", s.Image, s.Env)
	}
}

// TestLaunchSpecRefusesShortPassword: VNC's own rule on top of the suite's
// missing-secret check, and the refusal does not show the password.
func TestLaunchSpecRefusesShortPassword(t *testing.T) {
	ws := serve(t, `{}`)
	req := request()
	req.Secrets = map[string]string{"vnc_password": "short"}
	_, err := ws.LaunchSpec(ctx(t), req)
	if err == nil {
		t.Fatal("LaunchSpec accepted a 5-byte password")
	}
	if strings.Contains(err.Error(), "short") {
		t.Fatalf("the error %q shows the password", err)
	}
}
