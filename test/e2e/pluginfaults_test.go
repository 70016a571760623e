package e2e

import (
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pluginState is one item of GET /api/v1/plugins, with the circuit fields.
type pluginState struct {
	Name      string     `json:"name"`
	State     string     `json:"state"`
	Restarts  int        `json:"restarts"`
	PID       int        `json:"pid"`
	LastError string     `json:"last_error"`
	Failures  int        `json:"failures"`
	RetryAt   *time.Time `json:"retry_at"`
}

func pluginStates(t *testing.T, addr string) map[string]pluginState {
	t.Helper()
	var list struct {
		Items []pluginState `json:"items"`
	}
	if code := getJSON(t, "http://"+addr+"/api/v1/plugins", &list); code != http.StatusOK {
		t.Fatalf("GET /api/v1/plugins: %d", code)
	}
	out := map[string]pluginState{}
	for _, p := range list.Items {
		out[p.Name] = p
	}
	return out
}

// TestCrashingPluginOpensCircuit runs a plugin that dies 300 ms after every
// start. The supervisor must back off between launches instead of
// relaunching it at full speed, then open the circuit and stop launching.
func TestCrashingPluginOpensCircuit(t *testing.T) {
	body := strings.Replace(pluginBlock, `sha256 = "%[2]s"`, `sha256 = "%[2]s"
  args   = ["crash"]`, 1) + `
runtime "r" {
  plugin = "test"
  config { greeting = "hi" }
}
`
	path, addr := writeConfig(t, body)
	c := startCore(t, path, addr)
	began := time.Now()

	var open pluginState
	waitFor(t, 20*time.Second, "the circuit to open", func() bool {
		open = pluginStates(t, addr)["runtime.r"]
		return open.State == "circuit_open"
	})
	t.Logf("circuit open %s after the core answered, after %d failures and %d restarts: %s",
		time.Since(began).Round(time.Millisecond), open.Failures, open.Restarts, open.LastError)
	if open.Failures != 5 || open.RetryAt == nil || !open.RetryAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("open circuit reports failures %d, retry_at %v; want 5 and minutes ahead", open.Failures, open.RetryAt)
	}
	if !strings.Contains(open.LastError, "failed 5 times in a row") {
		t.Errorf("last_error %q does not say why the circuit is open", open.LastError)
	}

	// Open means no more launches: nothing is relaunched for a while.
	launches := strings.Count(c.out.String(), `"plugin started"`)
	time.Sleep(3 * time.Second)
	if now := strings.Count(c.out.String(), `"plugin started"`); now != launches {
		t.Errorf("the plugin was launched %d more times while the circuit was open", now-launches)
	}
	if p := pluginStates(t, addr)["runtime.r"]; p.State != "circuit_open" || p.Restarts != open.Restarts {
		t.Errorf("after 3 s: state %s, restarts %d; want circuit_open, %d", p.State, p.Restarts, open.Restarts)
	}

	// Readiness says which plugin is out, as problem+json.
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(string(b), "runtime.r: circuit_open") {
		t.Errorf("/readyz = %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
}

// TestHungPluginIsBoundedAndRecovers stops one of two plugins with SIGSTOP:
// calls to it end within the plugin timeout, the other keeps answering at
// once, health says unhealthy; after SIGCONT it serves again with no
// restart, and if it stays stopped it is replaced.
func TestHungPluginIsBoundedAndRecovers(t *testing.T) {
	path, addr := writeConfig(t, pluginBlock+`
runtime "a" {
  plugin = "test"
  config { greeting = "a" }
}
runtime "b" {
  plugin = "test"
  config { greeting = "b" }
}
`)
	startCore(t, path, addr)
	pid := pluginStates(t, addr)["runtime.a"].PID
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })

	probe := func(name string) (health string, took time.Duration) {
		var p struct {
			Health      string `json:"health"`
			HealthError string `json:"health_error"`
		}
		began := time.Now()
		if code := getJSON(t, "http://"+addr+"/api/v1/plugins/"+name, &p); code != http.StatusOK {
			t.Fatalf("probe %s: %d", name, code)
		}
		return p.Health + " " + p.HealthError, time.Since(began)
	}
	h, took := probe("runtime.a")
	t.Logf("probe of the stopped plugin: %q after %s", h, took.Round(time.Millisecond))
	if !strings.HasPrefix(h, "failing") || took > 3*time.Second {
		t.Errorf("probe of the stopped plugin: %q after %s; want failing within the 2 s plugin_timeout", h, took)
	}
	if h, took := probe("runtime.b"); h != "ok " || took > time.Second {
		t.Errorf("the other plugin answered %q after %s while one was stopped", h, took)
	}
	waitFor(t, 10*time.Second, "health to say unhealthy", func() bool {
		return pluginStates(t, addr)["runtime.a"].State == "unhealthy"
	})
	began := time.Now()
	code := getJSON(t, "http://"+addr+"/readyz", nil)
	if code != http.StatusServiceUnavailable || time.Since(began) > time.Second {
		t.Errorf("/readyz = %d after %s with a hung plugin", code, time.Since(began))
	}

	// SIGCONT: the same process serves again, nothing restarted.
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the continued plugin to be healthy", func() bool {
		return pluginStates(t, addr)["runtime.a"].State == "healthy"
	})
	if p := pluginStates(t, addr)["runtime.a"]; p.PID != pid || p.Restarts != 0 {
		t.Errorf("after SIGCONT: pid %d restarts %d; want the same process %d, no restart", p.PID, p.Restarts, pid)
	}
	if h, _ := probe("runtime.a"); h != "ok " {
		t.Errorf("after SIGCONT the probe says %q", h)
	}

	// Stopped for good: after three failed checks it is replaced.
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	var p pluginState
	waitFor(t, 30*time.Second, "the hung plugin to be replaced", func() bool {
		p = pluginStates(t, addr)["runtime.a"]
		return p.State == "healthy" && p.PID != pid && p.Restarts == 1
	})
	t.Logf("hung plugin replaced %s after SIGSTOP", time.Since(stopped).Round(time.Millisecond))
	if h, _ := probe("runtime.a"); h != "ok " {
		t.Errorf("the replacement answers %q", h)
	}
	waitFor(t, 5*time.Second, "the hung process to be gone", func() bool { return !alive(pid) })
}
