package e2e

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pluginBlock declares the test plugin; runtimeBlock uses it.
const pluginBlock = `
server {
  listen    = "%[3]s"
  state_dir = "%[4]s"
  plugin_timeout = "2s"
}

plugin "test" {
  path   = "%[1]s"
  sha256 = "%[2]s"
}
`

func TestConfigErrorsCarryFileLineAndStartNothing(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []string
	}{
		{"syntax error", pluginBlock + "\nruntime \"r\" {\n  plugin = \"test\"\n  config {\n    greeting = \n  }\n}\n",
			[]string{"atrium.hcl:16:16:"}},
		{"unknown block", pluginBlock + "\nrunway \"r\" {\n}\n",
			[]string{"atrium.hcl:13:1:", "runway"}},
		{"wrong type in plugin config", pluginBlock + "\nruntime \"r\" {\n  plugin = \"test\"\n  config {\n    greeting = \"hi\"\n    port = [1, 2]\n  }\n}\n",
			[]string{"atrium.hcl:17:12:", "port"}},
		{"app domain containing the core's host", "\nserver {\n  listen    = \"%[3]s\"\n  state_dir = \"%[4]s\"\n  public_url = \"https://atrium.example.com\"\n  app_domain = \"*.example.com\"\n}\n",
			[]string{"atrium.hcl:6:16:", "app_domain", "*.apps.example.com"}},
		{"missing required plugin attribute", pluginBlock + "\nruntime \"r\" {\n  plugin = \"test\"\n  config {\n  }\n}\n",
			[]string{"atrium.hcl:", "greeting"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, addr := writeConfig(t, tc.body)
			before := len(processesOf(bins.testplugin))

			code, out := runAtrium(t, 30*time.Second, "config", "validate", path)
			if code == 0 {
				t.Fatalf("validate exited 0:\n%s", out)
			}
			mustContain(t, out, tc.want...)

			code, out = runAtrium(t, 30*time.Second, "server", "-config", path)
			if code == 0 {
				t.Fatalf("server exited 0:\n%s", out)
			}
			mustContain(t, out, tc.want...)
			mustContain(t, out, "nothing was started")
			if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
				t.Errorf("something listens on %s after a failed start", addr)
			}
			if n := len(processesOf(bins.testplugin)); n > before {
				t.Errorf("%d plugin processes left running after a failed start", n-before)
			}
		})
	}
}

func TestAllConfigErrorsReportedAtOnce(t *testing.T) {
	path, _ := writeConfig(t, pluginBlock+`
runtime "a" {
  plugin = "nope"
}

template "t" {
  workspace = "missing"
  runtime   = "a"
  memory    = "lots"
}
`)
	code, out := runAtrium(t, 30*time.Second, "config", "validate", path)
	if code == 0 {
		t.Fatalf("validate exited 0:\n%s", out)
	}
	mustContain(t, out, "atrium.hcl:14:12:", "atrium.hcl:18:15:", "atrium.hcl:20:15:", "3 problem(s)")
}

func TestPluginRefusals(t *testing.T) {
	cases := []struct {
		name string
		body string
		want func(t *testing.T, out string)
	}{
		{"sha256 mismatch", strings.Replace(pluginBlock, `sha256 = "%[2]s"`, `sha256 = "`+strings.Repeat("ab", 32)+`"`, 1) + `
runtime "r" {
  plugin = "test"
  config { greeting = "hi" }
}
`, func(t *testing.T, out string) {
			mustContain(t, out, "SHA-256 mismatch", strings.Repeat("ab", 32), sha256File(t, bins.testplugin))
		}},
		{"wrong kind", strings.Replace(pluginBlock, `sha256 = "%[2]s"`, `sha256 = "%[2]s"
  args   = ["workspace"]`, 1) + `
runtime "r" {
  plugin = "test"
}
`, func(t *testing.T, out string) {
			mustContain(t, out, `runtime "r"`, "is a workspace plugin", "needs a runtime plugin")
		}},
		{"unsupported protocol version", strings.Replace(pluginBlock, `sha256 = "%[2]s"`, `sha256 = "%[2]s"
  args   = ["badproto"]`, 1) + `
runtime "r" {
  plugin = "test"
}
`, func(t *testing.T, out string) {
			mustContain(t, out, `runtime "r"`, "Plugin version: 99", "protocol 1")
		}},
		{"hangs in Configure", strings.Replace(pluginBlock, `sha256 = "%[2]s"`, `sha256 = "%[2]s"
  args   = ["hang"]`, 1) + `
runtime "slow" {
  plugin = "test"
  config { greeting = "hi" }
}
`, func(t *testing.T, out string) {
			mustContain(t, out, `runtime "slow"`, `plugin "test"`, "Configure did not answer within 2s")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, addr := writeConfig(t, tc.body)
			before := len(processesOf(bins.testplugin))
			code, out := runAtrium(t, 60*time.Second, "server", "-config", path)
			if code == 0 {
				t.Fatalf("server exited 0:\n%s", out)
			}
			tc.want(t, out)
			if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
				t.Errorf("something listens on %s after a refused start", addr)
			}
			waitFor(t, 5*time.Second, "no plugin process left", func() bool {
				return len(processesOf(bins.testplugin)) <= before
			})
		})
	}
}

// pluginList is GET /api/v1/plugins.
type pluginList struct {
	Items []struct {
		Name      string `json:"name"`
		Kind      string `json:"kind"`
		Version   string `json:"version"`
		State     string `json:"state"`
		Restarts  int    `json:"restarts"`
		PID       int    `json:"pid"`
		LastError string `json:"last_error"`
	} `json:"items"`
}

const runtimeBlock = pluginBlock + `
runtime "r" {
  plugin = "test"
  config {
    greeting = "hello"
  }
}
`

func TestKilledPluginIsRestarted(t *testing.T) {
	path, addr := writeConfig(t, runtimeBlock)
	startCore(t, path, addr)

	var before pluginList
	if code := getJSON(t, "http://"+addr+"/api/v1/plugins", &before); code != http.StatusOK {
		t.Fatalf("GET /api/v1/plugins: %d", code)
	}
	if len(before.Items) != 1 || before.Items[0].Name != "runtime.r" || before.Items[0].State != "healthy" || before.Items[0].PID == 0 {
		t.Fatalf("unexpected plugins: %+v", before.Items)
	}
	if before.Items[0].Version != "0.0.1" || before.Items[0].Kind != "runtime" {
		t.Errorf("plugin identity not reported: %+v", before.Items[0])
	}
	oldPID := before.Items[0].PID
	if err := syscall.Kill(oldPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()

	var after pluginList
	waitFor(t, 10*time.Second, "the plugin to be restarted", func() bool {
		getJSON(t, "http://"+addr+"/api/v1/plugins", &after)
		p := after.Items[0]
		return p.Restarts == 1 && p.State == "healthy" && p.PID != oldPID
	})
	t.Logf("restarted in %s", time.Since(killed).Round(time.Millisecond))
	if after.Items[0].LastError == "" {
		t.Errorf("the restart left no last_error")
	}

	var probe struct {
		Health string `json:"health"`
		PID    int    `json:"pid"`
	}
	if code := getJSON(t, "http://"+addr+"/api/v1/plugins/runtime.r", &probe); code != http.StatusOK || probe.Health != "ok" {
		t.Fatalf("live call to the restarted plugin: %d %+v", code, probe)
	}
	if code := getJSON(t, "http://"+addr+"/readyz", nil); code != http.StatusOK {
		t.Errorf("/readyz = %d after the restart", code)
	}
	if code := getJSON(t, "http://"+addr+"/api/v1/plugins/nope", nil); code != http.StatusNotFound {
		t.Errorf("unknown plugin: %d, want 404", code)
	}
}

func TestKilledCoreLeavesNoPlugin(t *testing.T) {
	path, addr := writeConfig(t, runtimeBlock)
	c := startCore(t, path, addr)
	var list pluginList
	getJSON(t, "http://"+addr+"/api/v1/plugins", &list)
	pid := list.Items[0].PID
	if pid == 0 {
		t.Fatalf("no plugin pid: %+v", list)
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the orphaned plugin to exit", func() bool {
		return !alive(pid)
	})
}

// TestValidateAsksThePluginToCheckItsValues runs the built `atrium config
// validate` on runtime-docker's config with values its schema admits but
// the plugin refuses: each is reported at its own line, as Configure would
// have refused it.
func TestValidateAsksThePluginToCheckItsValues(t *testing.T) {
	body := pluginBlock + `plugin "docker" {
  path   = "` + bins.runtimeDocker + `"
  sha256 = "` + sha256File(t, bins.runtimeDocker) + `"
}
runtime "d" {
  plugin   = "docker"
  networks = ["172.30.0.0/16"]
  config {
    tunnel       = "carrier-pigeon"
    stop_timeout = "-1s"
  }
}
`
	path, _ := writeConfig(t, body)
	code, out := runAtrium(t, 30*time.Second, "config", "validate", path)
	if code == 0 {
		t.Fatalf("validate exited 0:\n%s", out)
	}
	mustContain(t, out, `atrium.hcl:20:20: Invalid tunnel in runtime "d" config: "carrier-pigeon" is unknown`,
		`atrium.hcl:21:20: Invalid stop_timeout in runtime "d" config: "-1s" is negative`, "2 problem(s)")
}
