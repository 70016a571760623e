package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// fixture is the test plugin binary (testdata/testplugin), built once.
var fixture struct {
	path, sha256 string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pluginhost-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixture.path = filepath.Join(dir, "testplugin")
	build := exec.Command("go", "build", "-o", fixture.path, "./testdata/testplugin")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the test plugin:", err)
		os.Exit(1)
	}
	raw, err := os.ReadFile(fixture.path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sum := sha256.Sum256(raw)
	fixture.sha256 = hex.EncodeToString(sum[:])
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// spec runs the fixture in mode as `runtime "r"`, declared at atrium.hcl:7:1,
// with cfg as its decoded config. out receives what Configure told the
// plugin about the host.
func spec(mode, cfg, out string) Spec {
	return Spec{
		Name: "runtime.r", Kind: plugin.KindRuntime, Block: `runtime "r"`, Pos: "atrium.hcl:7:1",
		Plugin: "test", Path: fixture.path, SHA256: fixture.sha256, Args: []string{mode},
		Env:    map[string]string{"ATRIUM_TESTPLUGIN_OUT": out},
		Decode: func(schema.Object) (json.RawMessage, error) { return json.RawMessage(cfg), nil },
	}
}

func newHost(t *testing.T) *Host {
	h := New(Options{Version: "1.2.3", TunnelDir: t.TempDir(), CallTimeout: 10 * time.Second})
	t.Cleanup(h.Shutdown)
	return h
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func mustContain(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

func TestRefusesRuntimeWithoutTunnel(t *testing.T) {
	err := newHost(t).Start(ctx(t), []Spec{spec("notunnel", `{"greeting":"hi","port":5900}`, "")})
	mustContain(t, err, "atrium.hcl:7:1:", `runtime "r"`, `plugin "test"`, "offers no tunnel", connect.CapTunnelEndpoint, connect.CapTunnelSocket)
}

func TestRefusesPluginOfNewerAPIVersions(t *testing.T) {
	for _, check := range []bool{false, true} {
		h := newHost(t)
		s := []Spec{spec("futureapi", `{}`, "")}
		err := h.Start(ctx(t), s)
		if check {
			err = h.Check(ctx(t), s)
		}
		mustContain(t, err, "atrium.hcl:7:1:", "speaks atrium.runtime.v2 or atrium.runtime.v3",
			"this Atrium (1.2.3) speaks atrium.runtime.v1", "upgrade Atrium")
	}
}

// readHost reads what the fixture recorded of its Configure call.
func readHost(t *testing.T, path string) plugin.Host {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the plugin recorded no Configure: %v", err)
	}
	var h plugin.Host
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNegotiatesAPIVersionAndTellsThePluginTheHost(t *testing.T) {
	for _, mode := range []string{"multiapi", "runtime"} {
		t.Run(mode, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "host.json")
			h := newHost(t)
			if err := h.Start(ctx(t), []Spec{spec(mode, `{"greeting":"hi","port":5900}`, out)}); err != nil {
				t.Fatalf("Start: %v", err)
			}
			got := readHost(t, out)
			if got.Version != "1.2.3" || got.APIVersion != 1 || !slices.Equal(got.APIVersions, []int{1}) || got.SDKVersion != plugin.SDKVersion {
				t.Errorf("the plugin was told %+v; want Atrium 1.2.3 choosing API v1 of [1], SDK %s", got, plugin.SDKVersion)
			}
			for _, c := range []string{connect.CapTunnelEndpoint, connect.CapTunnelSocket, connect.CapEvents} {
				if !got.Has(c) {
					t.Errorf("the host did not say it uses %q: %v", c, got.Capabilities)
				}
			}
			if info := h.Get("runtime.r").Info(); !slices.Contains(info.APIVersions, 1) {
				t.Errorf("Info().APIVersions = %v, want it to hold 1", info.APIVersions)
			}
		})
	}
}

func TestPluginValidationRefusesValuesAtTheirLine(t *testing.T) {
	bad := spec("runtime", `{"greeting":"hi","port":70000}`, "")
	// Without a locator the problem is reported at the block.
	err := newHost(t).Check(ctx(t), []Spec{bad})
	mustContain(t, err, "atrium.hcl:7:1:", "port", "70000 is not a TCP port")

	var got []plugin.ConfigProblem
	bad.Problems = func(_ schema.Object, ps []plugin.ConfigProblem) error {
		got = ps
		return fmt.Errorf("atrium.hcl:9:12: %s", ps[0].Message)
	}
	for _, run := range []func(*Host, []Spec) error{
		func(h *Host, s []Spec) error { return h.Check(ctx(t), s) },
		func(h *Host, s []Spec) error { return h.Start(ctx(t), s) },
	} {
		got = nil
		err = run(newHost(t), []Spec{bad})
		mustContain(t, err, "atrium.hcl:9:12:", "70000 is not a TCP port")
		if len(got) != 1 || !slices.Equal(got[0].Path, []string{"port"}) {
			t.Errorf("problems = %+v, want one at path [port]", got)
		}
	}

	good := spec("runtime", `{"greeting":"hi","port":5900}`, "")
	if err := newHost(t).Check(ctx(t), []Spec{good}); err != nil {
		t.Errorf("Check of valid values: %v", err)
	}
}

func TestNegotiate(t *testing.T) {
	cases := []struct {
		plugin, host []int
		want         int
		errs         []string
	}{
		{[]int{1}, []int{1}, 1, nil},
		{[]int{1, 2}, []int{1}, 1, nil},
		{[]int{1, 2, 3}, []int{2, 3, 4}, 3, nil},
		{[]int{3}, []int{1, 2}, 0, []string{"speaks atrium.runtime.v3 but this Atrium (9.9) speaks atrium.runtime.v1 or atrium.runtime.v2", "newer than this Atrium", "upgrade Atrium"}},
		{[]int{1}, []int{2}, 0, []string{"older than this Atrium", "upgrade the plugin to a release that speaks atrium.runtime.v2"}},
		{[]int{1, 3}, []int{2}, 0, []string{"install a plugin release that speaks atrium.runtime.v2"}},
		{nil, []int{1}, 0, []string{"reports no API version"}},
	}
	for _, c := range cases {
		got, err := negotiate(plugin.KindRuntime, "9.9", c.plugin, c.host)
		if got != c.want {
			t.Errorf("negotiate(%v, %v) = %d, want %d", c.plugin, c.host, got, c.want)
		}
		if c.errs == nil {
			if err != nil {
				t.Errorf("negotiate(%v, %v): %v", c.plugin, c.host, err)
			}
			continue
		}
		mustContain(t, err, c.errs...)
	}
}
