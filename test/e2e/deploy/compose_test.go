package deploy

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestComposeStackServes brings deploy/compose/compose.yaml up for real
// under a project of its own: the core image (as TestImageServesWithPostgres
// gets it) and, because no image can be pulled here, Debian's PostgreSQL 15
// in a stand-in for the official postgres image
// (deploy/compose/postgres-standin). It waits for /readyz, creates an
// admin through `docker-compose exec`, logs in, and takes the stack down
// with its volumes.
func TestComposeStackServes(t *testing.T) {
	compose, err := exec.LookPath("docker-compose")
	if err != nil {
		skipOrFail(t, "ATRIUM_E2E_REQUIRE_COMPOSE", "docker-compose missing (Debian's docker-compose package)")
	}
	requireDocker(t)
	image := coreImage(t)
	pgImage := os.Getenv("ATRIUM_TEST_POSTGRES_IMAGE")
	if pgImage == "" {
		pgImage = lastLine(run(t, "bash", "deploy/compose/postgres-standin/build.sh"))
	}
	sock, err := os.Stat("/var/run/docker.sock")
	if err != nil {
		t.Fatal(err)
	}
	port, pgPort := freePort(t), freePort(t)
	base := "http://127.0.0.1:" + port
	project := "atrium-compose-test-" + port
	file := filepath.Join(repoRoot(), "deploy/compose/compose.yaml")
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"ATRIUM_IMAGE=" + image,
		"ATRIUM_POSTGRES_IMAGE=" + pgImage,
		"DOCKER_GID=" + fmt.Sprint(socketGID(sock)),
		"ATRIUM_POSTGRES_PASSWORD=compose-test-password",
		"ATRIUM_POSTGRES_PORT=" + pgPort,
		"ATRIUM_LISTEN=127.0.0.1:" + port,
		"ATRIUM_PUBLIC_URL=" + base,
	}
	dc := func(args ...string) *exec.Cmd {
		cmd := exec.Command(compose, append([]string{"-p", project, "-f", file}, args...)...)
		cmd.Dir = t.TempDir()
		cmd.Env = env
		return cmd
	}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := dc("logs", "--no-color").CombinedOutput()
			t.Logf("compose logs:\n%s", setupToken.ReplaceAll(logs, []byte("token=…")))
		}
		if out, err := dc("down", "-v", "--timeout", "20").CombinedOutput(); err != nil {
			t.Errorf("docker-compose down: %v\n%s", err, out)
		}
	})
	if out, err := dc("up", "-d").CombinedOutput(); err != nil {
		t.Fatalf("docker-compose up: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	running := func() error {
		out, err := dc("ps", "-q", "core").Output()
		if err != nil || strings.TrimSpace(string(out)) == "" {
			return fmt.Errorf("the compose service core is gone")
		}
		state, _ := exec.Command("docker", "inspect", "-f", "{{.State.Status}}", strings.TrimSpace(string(out))).Output()
		if s := strings.TrimSpace(string(state)); s == "exited" || s == "dead" {
			return fmt.Errorf("the compose service core %s", s)
		}
		return nil
	}
	if err := waitReady(ctx, base+"/readyz", running); err != nil {
		t.Fatal(err)
	}
	id, err := dc("ps", "-q", "core").Output()
	if err != nil {
		t.Fatalf("docker-compose ps: %v", err)
	}
	loginThroughContainer(ctx, t, base, "docker", "exec", "-i", strings.TrimSpace(string(id)))
}
