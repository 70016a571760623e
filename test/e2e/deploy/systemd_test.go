package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/test/harness"
)

// TestSystemdUnitVerifies runs `systemd-analyze verify` on
// deploy/systemd/atrium.service, which prints a line for every unknown key
// or bad value (and still exits 0), so any output fails the test. verify
// also insists that ExecStart's binary exists: the unit is checked with it
// pointing at a freshly built atrium. The hardening the unit promises is
// checked by name, so a deleted line fails too.
func TestSystemdUnitVerifies(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		skipOrFail(t, "ATRIUM_E2E_REQUIRE_SYSTEMD", "systemd-analyze missing (Debian's systemd package)")
	}
	unit, err := os.ReadFile(filepath.Join(repoRoot(), "deploy/systemd/atrium.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"DynamicUser=yes", "SupplementaryGroups=docker", "StateDirectory=atrium",
		"ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes",
		"CapabilityBoundingSet=\n", "PrivateTmp=yes", "SystemCallFilter=@system-service",
		"EnvironmentFile=-/etc/atrium/atrium.env",
		"ExecStart=/usr/lib/atrium/atrium server -config /etc/atrium/atrium.hcl",
	} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("atrium.service lacks %q", strings.TrimSpace(want))
		}
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "atrium")
	if err := harness.GoBuild(repoRoot(), bin, "./core/cmd/atrium"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "atrium.service")
	local := strings.ReplaceAll(string(unit), "/usr/lib/atrium/atrium ", bin+" ")
	if err := os.WriteFile(path, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify atrium.service: %v\n%s", err, out)
	}
}

// TestSystemdConfigValidates checks deploy/atrium.hcl with
// `atrium config validate`, the plugins built where the unit expects them
// (/usr/lib/atrium, rewritten to a temporary folder) and the environment
// the example env file sets.
func TestSystemdConfigValidates(t *testing.T) {
	dir := t.TempDir()
	if _, err := harness.BuildDesktop(repoRoot(), dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"workspace-code", "workspace-jupyter"} {
		if err := harness.GoBuild(repoRoot(), filepath.Join(dir, "atrium-"+p), "./plugins/"+p); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "atrium-") || strings.HasSuffix(e.Name(), ".sha256") {
			continue
		}
		sum, err := harness.SHA256File(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()+".sha256"), []byte(sum+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hcl, err := os.ReadFile(filepath.Join(repoRoot(), "deploy/atrium.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "atrium.hcl")
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(string(hcl), "/usr/lib/atrium/", dir+"/")), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(dir, "atrium"), "config", "validate", cfg)
	cmd.Env = append(os.Environ(), envFile(t, filepath.Join(repoRoot(), "deploy/systemd/atrium.env.example"))...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("atrium config validate deploy/atrium.hcl: %v\n%s", err, out)
	}
}

// envFile reads KEY=value lines of a systemd EnvironmentFile, skipping
// comments and blank lines.
func envFile(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			env = append(env, line)
		}
	}
	return env
}
