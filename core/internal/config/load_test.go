package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestParseEmptyUsesDefaults(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	cfg := mustParse(t, "")

	s := cfg.Server
	if s.Listen != "127.0.0.1:8080" || s.PublicURL != "http://127.0.0.1:8080" {
		t.Errorf("listen %q public_url %q, want the loopback defaults", s.Listen, s.PublicURL)
	}
	if s.StateDir != filepath.Join(state, "atrium") {
		t.Errorf("state_dir %q, want %q", s.StateDir, filepath.Join(state, "atrium"))
	}
	if s.DrainGrace != 5*time.Second || s.DrainTimeout != 30*time.Second || s.PluginTimeout != 10*time.Second {
		t.Errorf("timeouts %v %v %v, want 5s 30s 10s", s.DrainGrace, s.DrainTimeout, s.PluginTimeout)
	}
	if s.RelaysPerUser != 8 || s.RelaysPerCore != 2000 || s.TrustedProxies != nil {
		t.Errorf("relay caps %d %d, trusted proxies %v; want 8 2000 and none", s.RelaysPerUser, s.RelaysPerCore, s.TrustedProxies)
	}
	if cfg.Database != nil || len(cfg.Plugins)+len(cfg.Runtimes)+len(cfg.Templates) != 0 {
		t.Errorf("empty file decoded to blocks: %+v", cfg)
	}
	if cfg.EvalContext() == nil {
		t.Error("EvalContext is nil")
	}
}

func TestStateDirFallsBackToHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_STATE_HOME", "relative/is/ignored")
	cfg := mustParse(t, "")
	want := filepath.Join(home, ".local", "state", "atrium")
	if os.Geteuid() == 0 {
		// Root's home is private; the embedded PostgreSQL runs as the
		// postgres user and must reach the state directory.
		want = "/var/lib/atrium"
	}
	if cfg.Server.StateDir != want {
		t.Errorf("state_dir %q, want %q", cfg.Server.StateDir, want)
	}
}

func TestParseEveryCoreSetting(t *testing.T) {
	src := `
server {
  listen           = ":9090"
  public_url       = "https://atrium.example.com/"
  state_dir        = "state"
  app_domain       = "*.Apps.Example.com"
  drain_grace      = "0s"
  drain_timeout    = "1m"
  plugin_timeout   = "2s"
  trusted_proxies  = ["10.0.0.5/32", "fd00::1/64"]
  relays_per_user  = 16
  relays_per_core  = 500
}
database {
  url = "postgres://atrium@db.example.com/atrium"
}
plugin "docker" {
  path   = "bin/runtime-docker"
  sha256 = "  ` + strings.ToUpper(digest) + `  runtime-docker\n"
  args   = ["-v"]
  env    = { A = "1" }
}
plugin "vnc" {
  path   = "/opt/atrium/vnc"
  sha256 = "` + digest + `"
}
runtime "docker" {
  plugin   = "docker"
  networks = ["172.30.0.1/16", "fd00::/64"]
  config {
    network = "atrium"
  }
}
workspace "desktop" {
  plugin = "vnc"
}
auth "sso" {
  plugin = "vnc"
}
template "big" {
  workspace    = "desktop"
  runtime      = "docker"
  display_name = "Big"
  description  = "A big one."
  image        = "example/desktop:1"
  cpu          = 0.5
  memory       = "1.5GiB"
  pids         = 512
  idle_timeout = "30m"
  max_lifetime = "12h"
  allow {
    orgs = ["eng"]
  }
}
template "small" {
  workspace = "desktop"
  runtime   = "docker"
  memory    = 1048576
}
`
	dir := t.TempDir()
	cfg, err := Parse([]byte(src), testFile, dir)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}

	s := cfg.Server
	if s.Listen != ":9090" || s.PublicURL != "https://atrium.example.com" || s.AppDomain != "*.apps.example.com" {
		t.Errorf("server = %+v", s)
	}
	if s.StateDir != filepath.Join(dir, "state") {
		t.Errorf("state_dir %q, want it under the base directory", s.StateDir)
	}
	if s.DrainGrace != 0 || s.DrainTimeout != time.Minute || s.PluginTimeout != 2*time.Second {
		t.Errorf("timeouts %v %v %v", s.DrainGrace, s.DrainTimeout, s.PluginTimeout)
	}
	if s.RelaysPerUser != 16 || s.RelaysPerCore != 500 || fmt.Sprint(s.TrustedProxies) != "[10.0.0.5/32 fd00::/64]" {
		t.Errorf("relay caps %d %d, trusted proxies %v", s.RelaysPerUser, s.RelaysPerCore, s.TrustedProxies)
	}
	if s.DeclRange.Start.Line != 2 {
		t.Errorf("server DeclRange line %d, want 2", s.DeclRange.Start.Line)
	}
	if cfg.Database == nil || cfg.Database.URL != "postgres://atrium@db.example.com/atrium" {
		t.Errorf("database = %+v", cfg.Database)
	}

	p := cfg.Plugin("docker")
	if p == nil || p.Path != filepath.Join(dir, "bin/runtime-docker") || p.SHA256 != digest {
		t.Fatalf("plugin docker = %+v", p)
	}
	if len(p.Args) != 1 || p.Args[0] != "-v" || p.Env["A"] != "1" {
		t.Errorf("plugin args %q env %q", p.Args, p.Env)
	}
	if got := cfg.Plugin("vnc").Path; got != "/opt/atrium/vnc" {
		t.Errorf("absolute plugin path became %q", got)
	}

	r := cfg.Runtime("docker")
	want := []netip.Prefix{netip.MustParsePrefix("172.30.0.0/16"), netip.MustParsePrefix("fd00::/64")}
	if r == nil || len(r.Networks) != 2 || r.Networks[0] != want[0] || r.Networks[1] != want[1] {
		t.Fatalf("runtime networks = %v, want %v", r.Networks, want)
	}
	if r.Config == nil || r.PluginRange.Start.Line != 28 {
		t.Errorf("runtime config %v, plugin range line %d", r.Config, r.PluginRange.Start.Line)
	}
	if w := cfg.Workspace("desktop"); w == nil || w.Config == nil {
		t.Errorf("workspace = %+v; a missing config block must give a non-nil body", w)
	}
	if a := cfg.Auth("sso"); a == nil || a.DisplayName != "sso" {
		t.Errorf("auth = %+v; display_name defaults to the label", a)
	}

	big := cfg.Template("big")
	if big == nil {
		t.Fatal("template big missing")
	}
	if big.CPU != 0.5 || big.Memory != 3<<29 || big.Pids != 512 ||
		big.IdleTimeout != 30*time.Minute || big.MaxLifetime != 12*time.Hour {
		t.Errorf("template limits = cpu %v mem %d pids %d idle %v max %v", big.CPU, big.Memory, big.Pids, big.IdleTimeout, big.MaxLifetime)
	}
	if big.DisplayName != "Big" || big.Description != "A big one." || big.Image != "example/desktop:1" {
		t.Errorf("template text = %+v", big)
	}
	if big.Allow == nil || len(big.Allow.Orgs) != 1 || big.Allow.Orgs[0] != "eng" || big.Allow.Roles != nil {
		t.Errorf("template allow = %+v", big.Allow)
	}
	small := cfg.Template("small")
	if small.Memory != 1<<20 || small.Allow != nil || small.DisplayName != "small" || small.Config == nil {
		t.Errorf("template small = %+v", small)
	}
	if cfg.Template("nope") != nil || cfg.Runtime("nope") != nil {
		t.Error("lookups of undefined names must return nil")
	}
}

func TestParseErrors(t *testing.T) {
	plugin := `plugin "p" {
  path   = "p"
  sha256 = "` + digest + `"
}
`
	tests := []struct {
		name string
		src  string
		want []wantDiag
	}{
		{
			name: "syntax error",
			src:  "server {\n  listen = \n}\n",
			want: []wantDiag{{2, "Invalid expression"}},
		},
		{
			name: "unknown block",
			src:  "server {}\n\nservr {}\n",
			want: []wantDiag{{3, "Unsupported block type"}},
		},
		{
			name: "unknown attribute",
			src:  "server {\n  listen = \"127.0.0.1:1\"\n  lisen = \"x\"\n}\n",
			want: []wantDiag{{3, "Unsupported argument"}},
		},
		{
			name: "wrong type",
			src:  "server {\n  listen = [\"a\"]\n}\n",
			want: []wantDiag{{2, "Incorrect attribute value type"}},
		},
		{
			name: "missing required",
			src:  "plugin \"p\" {\n  path = \"p\"\n}\n",
			want: []wantDiag{{1, "Missing required argument"}},
		},
		{
			name: "bad sha256 length",
			src:  "plugin \"p\" {\n  path   = \"p\"\n  sha256 = \"abc123\"\n}\n",
			want: []wantDiag{{3, "Invalid sha256"}},
		},
		{
			name: "bad sha256 characters",
			src:  "plugin \"p\" {\n  path   = \"p\"\n  sha256 = \"" + strings.Repeat("g", 64) + "\"\n}\n",
			want: []wantDiag{{3, "Invalid sha256"}},
		},
		{
			name: "empty sha256",
			src:  "plugin \"p\" {\n  path   = \"p\"\n  sha256 = \"  \"\n}\n",
			want: []wantDiag{{3, "Invalid sha256"}},
		},
		{
			name: "undefined plugin",
			src:  plugin + "runtime \"r\" {\n  plugin = \"q\"\n}\nworkspace \"w\" {\n  plugin = \"p\"\n}\nauth \"a\" {\n  plugin = \"x\"\n}\n",
			want: []wantDiag{{6, "Undefined plugin"}, {12, "Undefined plugin"}},
		},
		{
			name: "undefined workspace and runtime",
			src:  "template \"t\" {\n  workspace = \"w\"\n  runtime   = \"r\"\n}\n",
			want: []wantDiag{{2, "Undefined workspace"}, {3, "Undefined runtime"}},
		},
		{
			name: "duplicate labels",
			src:  plugin + plugin,
			want: []wantDiag{{5, "Duplicate plugin block"}},
		},
		{
			name: "duplicate server block",
			src:  "server {}\nserver {}\n",
			want: []wantDiag{{2, "Duplicate server block"}},
		},
		{
			name: "duplicate config block",
			src:  plugin + "runtime \"r\" {\n  plugin = \"p\"\n  config {}\n  config {}\n}\n",
			want: []wantDiag{{8, "Duplicate config block"}},
		},
		{
			name: "invalid name",
			src:  "plugin \"a b\" {\n  path   = \"p\"\n  sha256 = \"" + digest + "\"\n}\n",
			want: []wantDiag{{1, "Invalid plugin name"}},
		},
		{
			name: "bad durations",
			src:  "server {\n  shutdown_timeout = \"15\"\n  plugin_timeout = \"0s\"\n  drain_grace = \"-1s\"\n}\n",
			want: []wantDiag{{2, "Invalid duration"}, {3, "Invalid duration"}, {4, "Invalid duration"}},
		},
		{
			name: "bad relay caps",
			src:  "server {\n  relays_per_user = 0\n  relays_per_core = 2.5\n}\n",
			want: []wantDiag{{2, "Invalid relay cap"}, {3, "Invalid relay cap"}},
		},
		{
			name: "relay cap per user above the core's",
			src:  "server {\n  relays_per_core = 10\n  relays_per_user = 11\n}\n",
			want: []wantDiag{{3, "Invalid relay cap"}},
		},
		{
			name: "bad trusted proxies point at the element",
			src:  "server {\n  trusted_proxies = [\n    \"10.0.0.5/32\",\n    \"proxy.example.com\",\n    \"0.0.0.0/0\",\n  ]\n}\n",
			want: []wantDiag{{4, "Invalid trusted proxy network"}, {5, "Invalid trusted proxy network"}},
		},
		{
			name: "drain timeout under both names",
			src:  "server {\n  drain_timeout = \"30s\"\n  shutdown_timeout = \"15s\"\n}\n",
			want: []wantDiag{{3, "Two drain timeouts"}},
		},
		{
			name: "drain timeout of zero",
			src:  "server {\n  drain_timeout = \"0s\"\n}\n",
			want: []wantDiag{{2, "Invalid duration"}},
		},
		{
			name: "negative template duration",
			src:  plugin + "runtime \"r\" {\n  plugin = \"p\"\n}\nworkspace \"w\" {\n  plugin = \"p\"\n}\ntemplate \"t\" {\n  workspace = \"w\"\n  runtime = \"r\"\n  idle_timeout = \"-1m\"\n}\n",
			want: []wantDiag{{14, "Invalid duration"}},
		},
		{
			name: "bad listen and public url and app domain",
			src:  "server {\n  listen = \"localhost\"\n  public_url = \"ftp://x\"\n  app_domain = \"apps.example.com\"\n}\n",
			want: []wantDiag{{2, "Invalid listen address"}, {3, "Invalid public URL"}, {4, "Invalid app domain"}},
		},
		{
			name: "public url with a path",
			src:  "server {\n  public_url = \"https://example.com/atrium\"\n}\n",
			want: []wantDiag{{2, "Invalid public URL"}},
		},
		{
			name: "bad CIDR points at the element",
			src:  plugin + "runtime \"r\" {\n  plugin = \"p\"\n  networks = [\n    \"10.0.0.0/8\",\n    \"10.0.0.0/99\",\n  ]\n}\n",
			want: []wantDiag{{9, "Invalid network"}},
		},
		{
			name: "null list element",
			src:  "plugin \"p\" {\n  path   = \"p\"\n  sha256 = \"" + digest + "\"\n  args = [\n    \"a\",\n    null,\n  ]\n}\n",
			want: []wantDiag{{6, "Null list element"}},
		},
		{
			name: "bad template limits",
			src: plugin + "runtime \"r\" {\n  plugin = \"p\"\n}\nworkspace \"w\" {\n  plugin = \"p\"\n}\n" +
				"template \"t\" {\n  workspace = \"w\"\n  runtime = \"r\"\n  cpu = 0\n  memory = \"4 GiBs\"\n  pids = 1.5\n  allow {}\n}\n",
			want: []wantDiag{{14, "Invalid CPU limit"}, {15, "Invalid memory limit"}, {16, "Invalid process limit"}, {17, "Empty allow block"}},
		},
		{
			name: "fractional bytes",
			src: plugin + "runtime \"r\" {\n  plugin = \"p\"\n}\nworkspace \"w\" {\n  plugin = \"p\"\n}\n" +
				"template \"t\" {\n  workspace = \"w\"\n  runtime = \"r\"\n  memory = \"1.5B\"\n}\n",
			want: []wantDiag{{14, "Invalid memory limit"}},
		},
		{
			name: "database without url",
			src:  "database {\n}\n",
			want: []wantDiag{{1, "Missing required argument"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkParseErrors(t, tt.src, tt.want...)
		})
	}
}

func TestAllErrorsAtOnce(t *testing.T) {
	src := `server {
  listen = 8080
}

plugin "docker" {
  path   = "docker"
  sha256 = "not-a-digest"
}

runtime "docker" {
  plugin = "dockr"
}
`
	d := checkParseErrors(t, src,
		wantDiag{2, "Invalid listen address"},
		wantDiag{7, "Invalid sha256"},
		wantDiag{11, "Undefined plugin"},
	)
	msg := d.Error()
	for _, want := range []string{"test.hcl:2:12: ", "test.hcl:7:12: ", "test.hcl:11:12: ", `Did you mean "docker"?`} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() lacks %q:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n != 3 {
		t.Errorf("Error() has %d lines, want 3:\n%s", n, msg)
	}
}

func TestWriteTextShowsLocationAndSource(t *testing.T) {
	d := checkParseErrors(t, "server {\n  lisen = \"x\"\n}\n", wantDiag{2, "Unsupported argument"})
	var buf bytes.Buffer
	if err := d.WriteText(&buf, 0, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"Error: Unsupported argument", "on test.hcl line 2", `lisen = "x"`} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteText output lacks %q:\n%s", want, out)
		}
	}
}

func TestDatabaseURLIsNeverShown(t *testing.T) {
	const secret = "hunter2-very-secret"
	src := "database {\n  url = \"mysql://atrium:" + secret + "@db:99999/x\"\n}\n"
	d := checkParseErrors(t, src, wantDiag{2, "Invalid database URL"})
	var buf bytes.Buffer
	if err := d.WriteText(&buf, 0, false); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"Error": d.Error(), "WriteText": buf.String()} {
		if strings.Contains(out, secret) {
			t.Errorf("%s shows the password:\n%s", name, out)
		}
		if !strings.Contains(out, "test.hcl") {
			t.Errorf("%s lacks the location:\n%s", name, out)
		}
	}
}

func TestPluginEnvIsSensitive(t *testing.T) {
	const secret = "s3cr3t-token"
	src := "plugin \"p\" {\n  path = \"p\"\n  sha256 = \"" + digest + "\"\n  env = { TOKEN = [\"" + secret + "\"] }\n}\n"
	d := checkParseErrors(t, src, wantDiag{4, "Incorrect attribute value type"})
	var buf bytes.Buffer
	if err := d.WriteText(&buf, 0, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String()+d.Error(), secret) {
		t.Errorf("diagnostics show the env value:\n%s", buf.String())
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker.sha256"), []byte(digest+"  atrium-runtime-docker\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "atrium.hcl")
	src := "plugin \"docker\" {\n  path   = \"atrium-runtime-docker\"\n  sha256 = file(\"docker.sha256\")\n}\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	p := cfg.Plugin("docker")
	if p.SHA256 != digest || p.Path != filepath.Join(dir, "atrium-runtime-docker") {
		t.Errorf("plugin = %+v", p)
	}

	// Diagnostics name the file as the caller did.
	bad := filepath.Join(dir, "bad.hcl")
	if err := os.WriteFile(bad, []byte("\nnope {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad)
	d := diagnosticsOf(t, err)
	if len(d.Diags) != 1 || d.Diags[0].Subject.Filename != bad || d.Diags[0].Subject.Start.Line != 2 {
		t.Errorf("diagnostics = %v, want one at %s line 2", d, bad)
	}

	_, err = Load(filepath.Join(dir, "missing.hcl"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestDiagnosticsErrorIsNilWithoutErrors(t *testing.T) {
	cfg := mustParse(t, "")
	if err := cfg.DiagnosticsError(nil); err != nil {
		t.Errorf("DiagnosticsError(nil) = %v, want nil", err)
	}
}

// TestShutdownTimeoutIsDrainTimeout: files written before drain_timeout
// existed keep their bound under the old name.
func TestShutdownTimeoutIsDrainTimeout(t *testing.T) {
	cfg := mustParse(t, "server {\n  shutdown_timeout = \"45s\"\n}\n")
	if cfg.Server.DrainTimeout != 45*time.Second {
		t.Errorf("DrainTimeout = %v from shutdown_timeout = 45s", cfg.Server.DrainTimeout)
	}
}
