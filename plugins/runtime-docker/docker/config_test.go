package docker_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/plugins/runtime-docker/docker"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"
)

// TestConfigureErrors checks that a bad config block fails Configure with a
// message naming the cause and the fix.
func TestConfigureErrors(t *testing.T) {
	cases := []struct {
		name   string
		config string
		want   []string
	}{
		{"unreachable host", `{"host": "unix:///nonexistent/docker.sock"}`, []string{"not reachable at unix:///nonexistent/docker.sock", "config { host }"}},
		{"unknown tunnel", `{"tunnel": "carrier-pigeon"}`, []string{`tunnel: "carrier-pigeon"`, `"endpoint"`}},
		{"bad duration", `{"stop_timeout": "soon"}`, []string{`stop_timeout: "soon"`}},
		{"bad subnet", `{"subnet": "10.0.0.0"}`, []string{`subnet: "10.0.0.0"`}},
		{"unknown field", `{"hots": "x"}`, []string{"hots"}},
		{"network on another subnet", `{"network": "` + testNetwork + `", "subnet": "10.213.2.0/24"}`, []string{testNetwork, testSubnet, "config { subnet }"}},
	}
	// The last case needs the test network to exist.
	newRuntime(t, docker.TunnelModeEndpoint)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := docker.New().Configure(ctxT(t), plugin.ConfigureRequest{Config: json.RawMessage(c.config), Instance: instance})
			if err == nil {
				t.Fatalf("Configure(%s) succeeded", c.config)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Configure(%s) error %q does not mention %q", c.config, err, w)
				}
			}
		})
	}
}

// TestValidateConfig checks that the plugin refuses, without an engine and
// without being configured, every bad value at its own attribute.
func TestValidateConfig(t *testing.T) {
	base, _ := plugintest.ServeRuntime(t, docker.New())
	problems, err := base.ValidateConfig(ctxT(t), plugin.ValidateConfigRequest{
		Config: json.RawMessage(`{"host": "unix:///nonexistent/docker.sock", "tunnel": "carrier-pigeon", "stop_timeout": "-1s"}`),
	})
	if err != nil {
		t.Fatalf("ValidateConfig: %v", err)
	}
	got := map[string]string{}
	for _, p := range problems {
		got[strings.Join(p.Path, ".")] = p.Message
	}
	if len(got) != 2 || !strings.Contains(got["tunnel"], `"carrier-pigeon" is unknown`) || !strings.Contains(got["stop_timeout"], "negative") {
		t.Fatalf("problems = %+v, want one at tunnel and one at stop_timeout (and none for the unreachable host, which only Configure sees)", problems)
	}
	if problems, err = base.ValidateConfig(ctxT(t), plugin.ValidateConfigRequest{Config: json.RawMessage(`{}`)}); err != nil || len(problems) != 0 {
		t.Fatalf("ValidateConfig of the defaults = %+v, %v; want none", problems, err)
	}
}
