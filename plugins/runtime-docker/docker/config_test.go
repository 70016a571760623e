package docker_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/plugins/runtime-docker/docker"
	"github.com/atrium-hq/atrium/sdk/plugin"
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
		{"unknown tunnel", `{"tunnel": "carrier-pigeon"}`, []string{`tunnel "carrier-pigeon"`, `"endpoint"`}},
		{"bad duration", `{"stop_timeout": "soon"}`, []string{`stop_timeout "soon"`}},
		{"bad subnet", `{"subnet": "10.0.0.0"}`, []string{`subnet "10.0.0.0"`}},
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
