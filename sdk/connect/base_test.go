package connect_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

func TestInfoReportsCapabilities(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		impl runtime.Runtime
		want []string
	}{
		{"bare", &fakeRuntime{}, []string{connect.CapProgress}},
		{"events", fakeWatcher{&fakeRuntime{}}, []string{connect.CapEvents, connect.CapProgress}},
		{"endpoint", fakeEndpoint{&fakeRuntime{}}, []string{connect.CapProgress, connect.CapTunnelEndpoint}},
		{"both tunnels", fakeDialer{fakeEndpoint: fakeEndpoint{&fakeRuntime{}}}, []string{connect.CapProgress, connect.CapTunnelEndpoint, connect.CapTunnelSocket}},
		{"health", healthyFake{&fakeRuntime{}}, []string{connect.CapHealth, connect.CapProgress}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, _ := plugintest.ServeRuntime(t, tt.impl)
			info, err := base.Info(ctx)
			if err != nil {
				t.Fatalf("Info: %v", err)
			}
			if info.Name != "fake" || info.Version != "1.2.3" || info.Description != "a fake for tests" {
				t.Errorf("Info names %+v, want the plugin's own info", info.Info)
			}
			if info.Kind != plugin.KindRuntime || info.APIVersion != runtime.APIVersion || info.SDKVersion != plugin.SDKVersion {
				t.Errorf("Info reports kind %q API %d SDK %q, want %q %d %q", info.Kind, info.APIVersion, info.SDKVersion, plugin.KindRuntime, runtime.APIVersion, plugin.SDKVersion)
			}
			got := slices.Sorted(slices.Values(info.Capabilities))
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("capabilities %v, want %v", got, want)
			}
		})
	}
}

func TestConfigSchemaDefaultIsRawJSON(t *testing.T) {
	base, _ := plugintest.ServeRuntime(t, &fakeRuntime{})
	s, err := base.ConfigSchema(context.Background())
	if err != nil {
		t.Fatalf("ConfigSchema: %v", err)
	}
	raw, ok := s.Attrs["mode"].Default.(json.RawMessage)
	if !ok || string(raw) != `"fast"` {
		t.Fatalf("default of mode is %#v, want json.RawMessage(%q)", s.Attrs["mode"].Default, `"fast"`)
	}
}

func TestConfigureGatesKindCalls(t *testing.T) {
	ctx := context.Background()
	impl := &fakeRuntime{}
	base, rt := plugintest.ServeRuntime(t, impl)

	_, err := rt.InspectSession(ctx, runtime.InspectRequest{SessionID: "s1"})
	if err == nil || !strings.Contains(err.Error(), "Configure") {
		t.Fatalf("InspectSession before Configure: %v; want an error saying Configure comes first", err)
	}
	if err := base.Health(ctx); !errors.Is(err, connect.ErrUnhealthy) {
		t.Fatalf("Health before Configure: %v; want ErrUnhealthy", err)
	}

	impl.configureErr = errors.New("config: root is required")
	if err := base.Configure(ctx, plugin.ConfigureRequest{}); err == nil || err.Error() != "config: root is required" {
		t.Fatalf("failing Configure returned %v; want the plugin's message", err)
	}
	if _, err := rt.InspectSession(ctx, runtime.InspectRequest{SessionID: "s1"}); err == nil {
		t.Fatal("InspectSession after a failed Configure succeeded")
	}

	impl.configureErr = nil
	req := plugin.ConfigureRequest{Config: json.RawMessage(`{"mode":"slow"}`), Instance: "docker", TunnelDir: "/run/atrium/tunnels"}
	if err := base.Configure(ctx, req); err != nil {
		t.Fatalf("Configure after a failed one: %v", err)
	}
	if string(impl.configured.Config) != `{"mode":"slow"}` || impl.configured.Instance != "docker" || impl.configured.TunnelDir != "/run/atrium/tunnels" {
		t.Errorf("plugin was configured with %+v, want %+v", impl.configured, req)
	}
	if _, err := rt.InspectSession(ctx, runtime.InspectRequest{SessionID: "s1"}); err != nil {
		t.Fatalf("InspectSession after Configure: %v", err)
	}
	if err := base.Configure(ctx, req); err == nil || !strings.Contains(err.Error(), "already configured") {
		t.Fatalf("second Configure: %v; want an error saying it is already configured", err)
	}
	if err := base.Health(ctx); err != nil {
		t.Fatalf("Health of a configured plugin without HealthChecker: %v", err)
	}
}

func TestHealthCheckerReason(t *testing.T) {
	ctx := context.Background()
	impl := healthyFake{&fakeRuntime{}}
	impl.healthErr = errors.New("docker daemon does not answer")
	base, _ := plugintest.ServeRuntime(t, impl)
	if err := base.Configure(ctx, plugin.ConfigureRequest{}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	err := base.Health(ctx)
	if !errors.Is(err, connect.ErrUnhealthy) || !strings.Contains(err.Error(), "docker daemon does not answer") {
		t.Fatalf("Health: %v; want ErrUnhealthy with the plugin's reason", err)
	}
}

// configured serves impl and configures it with tunnelDir.
func configured(t *testing.T, impl runtime.Runtime, tunnelDir string) connect.Runtime {
	t.Helper()
	base, rt := plugintest.ServeRuntime(t, impl)
	if err := base.Configure(context.Background(), plugin.ConfigureRequest{TunnelDir: tunnelDir}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return rt
}
