package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestComposeFileResolves has docker-compose resolve
// deploy/compose/compose.yaml with the example .env's settings and checks
// what the core needs from it: the host network (to reach the sessions'
// bridge), the Docker socket, the socket's group, a read-only root and
// PostgreSQL's port on loopback only. It does not start the stack: no
// PostgreSQL image can be pulled on this machine.
func TestComposeFileResolves(t *testing.T) {
	compose, err := exec.LookPath("docker-compose")
	if err != nil {
		skipOrFail(t, "ATRIUM_E2E_REQUIRE_COMPOSE", "docker-compose missing (Debian's docker-compose package)")
	}
	file := filepath.Join(repoRoot(), "deploy/compose/compose.yaml")
	env := envFile(t, filepath.Join(repoRoot(), "deploy/compose/env.example"))

	// Without the required settings compose refuses and names them.
	cmd := exec.Command(compose, "-f", file, "config", "-q")
	cmd.Dir = t.TempDir() // no .env here
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "ATRIUM_POSTGRES_PASSWORD") {
		t.Fatalf("compose without a password: err=%v, want a refusal naming ATRIUM_POSTGRES_PASSWORD:\n%s", err, out)
	}

	cmd = exec.Command(compose, "-f", file, "config")
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{
		"network_mode: host",
		"/var/run/docker.sock:/var/run/docker.sock",
		"read_only: true",
		"127.0.0.1:5433:5432",
		"ATRIUM_DATABASE_URL: postgres://atrium:CHANGE-ME@127.0.0.1:5433/atrium?sslmode=disable",
		"condition: service_healthy",
		"- ALL",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the resolved compose file lacks %q:\n%s", want, got)
		}
	}
}
