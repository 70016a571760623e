package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	embedded "github.com/atrium-hq/atrium/config"
)

func TestDefaultParses(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	base := t.TempDir()
	// make build writes each plugin's SHA-256 beside the binary; the
	// default pins the plugins from those files.
	for _, p := range []string{"atrium-runtime-docker", "atrium-workspace-vnc", "atrium-workspace-code", "atrium-workspace-jupyter"} {
		if err := os.WriteFile(filepath.Join(base, p+".sha256"), []byte(strings.Repeat("ab", 32)+"  "+p+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := Default(base)
	if err != nil {
		t.Fatalf("the embedded default does not parse:\n%v", err)
	}
	if len(cfg.Runtimes) != 1 || len(cfg.Workspaces) != 3 {
		t.Errorf("the default should serve three workspaces on Docker: runtimes %d, workspaces %d", len(cfg.Runtimes), len(cfg.Workspaces))
	}
	// A new user finds a desktop, VS Code and Jupyter, each on its own
	// workspace plugin.
	for name, plugin := range map[string]string{"desktop": "workspace-vnc", "code": "workspace-code", "jupyter": "workspace-jupyter"} {
		tpl := cfg.Template(name)
		if tpl == nil {
			t.Errorf("the default has no template %q", name)
			continue
		}
		ws := cfg.Workspace(tpl.Workspace)
		if ws == nil || ws.Plugin != plugin || tpl.Runtime != "docker" || tpl.CPU <= 0 || tpl.Memory <= 0 || tpl.Pids <= 0 || tpl.MaxLifetime <= 0 {
			t.Errorf("template %q: workspace %+v, runtime %q, cpu %v, memory %d, pids %d, max_lifetime %v; want plugin %s on docker with limits",
				name, ws, tpl.Runtime, tpl.CPU, tpl.Memory, tpl.Pids, tpl.MaxLifetime, plugin)
		}
	}
	if len(cfg.Plugins) != 4 {
		t.Errorf("the default declares %d plugins, want the runtime and three workspaces", len(cfg.Plugins))
	}
	for _, p := range cfg.Plugins {
		if p.SHA256 != strings.Repeat("ab", 32) {
			t.Errorf("plugin %s pin %q was not read from its .sha256 file", p.Name, p.SHA256)
		}
	}
	if cfg.Server.Listen != "127.0.0.1:8080" {
		t.Errorf("default listen = %q, want loopback only", cfg.Server.Listen)
	}
	// Apps are isolated out of the box: browsers resolve *.localhost to
	// loopback, and the core's own host (127.0.0.1) lies outside it.
	if cfg.Server.AppDomain != "*.apps.localhost" || cfg.Server.PublicURL != "http://127.0.0.1:8080" {
		t.Errorf("default app_domain %q public_url %q, want *.apps.localhost beside http://127.0.0.1:8080",
			cfg.Server.AppDomain, cfg.Server.PublicURL)
	}
	if cfg.Database != nil {
		t.Error("the default must use the embedded database")
	}
	if cfg.Server.DeclRange.Filename != DefaultFilename {
		t.Errorf("default is named %q in diagnostics, want %q", cfg.Server.DeclRange.Filename, DefaultFilename)
	}
	for _, p := range cfg.Plugins {
		if !strings.HasPrefix(p.Path, base) {
			t.Errorf("plugin %s path %q is not under the base directory %q", p.Name, p.Path, base)
		}
	}
}

func TestExamplesParse(t *testing.T) {
	// The examples read secrets from the environment and one digest from a
	// file beside the config, as a real deployment would; provide fakes.
	t.Setenv("ATRIUM_DATABASE_URL", "postgres://atrium:fake@localhost/atrium")
	t.Setenv("ATRIUM_OIDC_CLIENT_SECRET", "fake-secret")
	t.Setenv("ATRIUM_METRICS_TOKEN", "fake-metrics-token-0123")
	base := t.TempDir()
	sum := digest + "  atrium-runtime-docker\n"
	if err := os.WriteFile(filepath.Join(base, "atrium-runtime-docker.sha256"), []byte(sum), 0o600); err != nil {
		t.Fatal(err)
	}

	paths, err := fs.Glob(embedded.Examples, "examples/*.hcl")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := fs.ReadFile(embedded.Examples, path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(src, path, base); err != nil {
				t.Fatalf("example does not parse:\n%v", err)
			}
		})
	}
}

func TestFullExampleUsesEveryBlock(t *testing.T) {
	t.Setenv("ATRIUM_DATABASE_URL", "postgres://localhost/atrium")
	t.Setenv("ATRIUM_OIDC_CLIENT_SECRET", "fake")
	t.Setenv("ATRIUM_METRICS_TOKEN", "fake-metrics-token-0123")
	base := t.TempDir()
	if err := os.WriteFile(filepath.Join(base, "atrium-runtime-docker.sha256"), []byte(digest), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := fs.ReadFile(embedded.Examples, "examples/full.hcl")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(src, "full.hcl", base)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database == nil || len(cfg.Plugins) == 0 || len(cfg.Runtimes) == 0 || len(cfg.Workspaces) == 0 ||
		len(cfg.Auths) == 0 || len(cfg.Templates) == 0 || cfg.Templates[0].Allow == nil || cfg.Server.AppDomain == "" {
		t.Errorf("full.hcl misses a block: %+v", cfg)
	}
	// Every attribute of every core block appears somewhere in full.hcl.
	text := string(src)
	for _, bs := range []*hcl.BodySchema{
		serverSchema, databaseSchema, pluginSchema, runtimeSchema,
		workspaceSchema, authSchema, mapGroupSchema, templateSchema, allowSchema,
	} {
		for _, a := range bs.Attributes {
			if a.Name == oldDrainTimeout {
				continue
			}
			if !strings.Contains(text, "\n  "+a.Name+" ") && !strings.Contains(text, "\n    "+a.Name+" ") {
				t.Errorf("full.hcl does not show attribute %q", a.Name)
			}
		}
	}
}
