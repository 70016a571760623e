package connect_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

func TestWorkspaceClient(t *testing.T) {
	ctx := context.Background()
	base, ws := plugintest.ServeWorkspace(t, &fakeWorkspace{})
	info, err := base.Info(ctx)
	if err != nil || info.Kind != plugin.KindWorkspace || info.APIVersion != workspace.APIVersion {
		t.Fatalf("Info: %+v, %v; want a workspace plugin", info, err)
	}
	if _, err := ws.Describe(ctx, workspace.DescribeRequest{}); err == nil {
		t.Fatal("Describe before Configure succeeded")
	}
	if err := base.Configure(ctx, plugin.ConfigureRequest{}); err != nil {
		t.Fatalf("Configure: %v", err)
	}

	d, err := ws.Describe(ctx, workspace.DescribeRequest{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	wantD := workspace.DescribeResponse{
		Protocol:    workspace.ProtocolVNC,
		Ports:       []launch.Port{{Name: "vnc", Port: 5901}},
		PrimaryPort: "vnc",
		Readiness:   workspace.Probe{Kind: workspace.ProbeRFB, Port: "vnc", Path: "/", Interval: time.Second, Timeout: 3 * time.Second},
		Secrets:     []string{"vnc_password"},
		DisplayName: "Desktop",
		Description: "A desktop",
	}
	if !reflect.DeepEqual(d, wantD) {
		t.Errorf("Describe returned\n %#v\nwant\n %#v", d, wantD)
	}

	resp, err := ws.LaunchSpec(ctx, workspace.LaunchSpecRequest{
		Session:        runtime.Session{ID: "s1", UserID: "u1", Labels: map[string]string{"team": "a"}},
		TemplateConfig: json.RawMessage(`{"depth":24}`),
		Image:          "desktop:2",
		Resources:      launch.Resources{CPU: 1, MemoryBytes: 512 << 20},
		Secrets:        map[string]string{"vnc_password": "pw"},
		HomeVolume:     "u1",
	})
	if err != nil {
		t.Fatalf("LaunchSpec: %v", err)
	}
	wantS := launch.Spec{
		Image:      "desktop:2",
		Command:    []string{"run", `{"depth":24}`},
		Env:        map[string]string{"SESSION": "s1", "USER_ID": "u1", "LABEL": "a"},
		Secrets:    map[string]string{"vnc_password": "pw"},
		Resources:  launch.Resources{CPU: 1, MemoryBytes: 512 << 20},
		Ports:      []launch.Port{{Name: "vnc", Port: 5901}},
		HomeVolume: "u1",
	}
	if !reflect.DeepEqual(resp.Spec, wantS) {
		t.Errorf("LaunchSpec returned\n %#v\nwant\n %#v", resp.Spec, wantS)
	}
}
