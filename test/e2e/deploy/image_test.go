package deploy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/harness"
)

// TestImageServesWithPostgres builds the container image with `make image`'s
// script (or takes ATRIUM_TEST_IMAGE), runs it as an operator would — host
// network, the Docker socket, an external PostgreSQL — and checks that it
// runs as its non-root user, turns ready (every plugin started from the
// image, the database answering), and that a user created with the image's
// own CLI logs in over the API. PostgreSQL is a private server on the host
// (storetest's pgserver): no image can be pulled here, and the core in the
// container reaches it on loopback through the host network.
func TestImageServesWithPostgres(t *testing.T) {
	requireDocker(t)
	image := coreImage(t)
	dbURL := startPostgres(t)
	sock, err := os.Stat("/var/run/docker.sock")
	if err != nil {
		t.Fatalf("the Docker socket: %v", err)
	}
	gid := fmt.Sprint(socketGID(sock))
	port := freePort(t)
	base := "http://127.0.0.1:" + port

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Without a database URL the image must refuse and name the setting.
	out, err := exec.CommandContext(ctx, "docker", "run", "--rm", image).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "ATRIUM_DATABASE_URL") {
		t.Fatalf("the image without ATRIUM_DATABASE_URL: err=%v, want a refusal naming it; output:\n%s", err, out)
	}

	name := "atrium-image-test-" + port
	run(t, "docker", "run", "-d", "--name", name, "--network", "host",
		"--group-add", gid, "-v", "/var/run/docker.sock:/var/run/docker.sock",
		"-e", "ATRIUM_DATABASE_URL="+dbURL,
		"-e", "ATRIUM_LISTEN=127.0.0.1:"+port,
		"-e", "ATRIUM_PUBLIC_URL="+base,
		image)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := exec.Command("docker", "logs", name).CombinedOutput()
			// The first start prints a one-time setup link; keep its token out.
			t.Logf("container log:\n%s", setupToken.ReplaceAll(logs, []byte("token=…")))
		}
		_ = exec.Command("docker", "rm", "-f", "-v", name).Run()
	})

	running := func() error {
		out, err := exec.Command("docker", "inspect", "-f", "{{.State.Running}}", name).Output()
		if err != nil || strings.TrimSpace(string(out)) != "true" {
			return fmt.Errorf("the container %s stopped", name)
		}
		return nil
	}
	if err := waitReady(ctx, base+"/readyz", running); err != nil {
		t.Fatal(err)
	}

	// The process runs as the image's user, not root.
	top := run(t, "docker", "top", name, "-o", "pid,uid,args")
	if !strings.Contains(top, "10001") || !strings.Contains(top, "/usr/lib/atrium/atrium server") {
		t.Fatalf("docker top: want atrium server as uid 10001:\n%s", top)
	}
	for _, p := range []string{"atrium-runtime-docker", "atrium-workspace-vnc"} {
		if !strings.Contains(top, "/usr/lib/atrium/"+p) {
			t.Errorf("docker top: plugin %s is not running:\n%s", p, top)
		}
	}

	loginThroughContainer(ctx, t, base, "docker", "exec", "-i", name)
}

// loginThroughContainer creates an admin with the atrium CLI inside the
// running core's container (enter is the command that runs one there), then logs
// in over the API at base and checks the login and a wrong password.
func loginThroughContainer(ctx context.Context, t *testing.T, base string, enter ...string) {
	t.Helper()
	const user, password = "imageadmin", "a long image password"
	args := append(enter[1:], "/usr/lib/atrium/atrium", "admin", "create-user", "-config", "/etc/atrium/atrium.hcl", "-username", user, "-admin")
	create := exec.CommandContext(ctx, enter[0], args...)
	create.Stdin = strings.NewReader(password + "\n")
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("atrium admin create-user in the container: %v\n%s", err, out)
	}
	c, err := harness.Login(ctx, base, user, password)
	if err != nil {
		t.Fatal(err)
	}
	code, body, err := c.Do(ctx, http.MethodGet, "/api/v1/me", nil)
	if err != nil || code != http.StatusOK || !strings.Contains(string(body), `"`+user+`"`) {
		t.Fatalf("GET /api/v1/me after login: %d %s %v", code, body, err)
	}
	if _, err := harness.Login(ctx, base, user, "not the password"); err == nil {
		t.Fatal("a wrong password logged in")
	}
}

// requireDocker skips (or fails, with ATRIUM_E2E_REQUIRE_IMAGE=1) without
// a Docker engine.
func requireDocker(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		skipOrFail(t, "ATRIUM_E2E_REQUIRE_IMAGE", "docker CLI missing; run scripts/docker-up.sh")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		skipOrFail(t, "ATRIUM_E2E_REQUIRE_IMAGE", "the Docker engine does not answer; run scripts/docker-up.sh")
	}
}

// coreImage is $ATRIUM_TEST_IMAGE, else the image `make image`'s script
// builds now (layers it built before are reused).
func coreImage(t *testing.T) string {
	t.Helper()
	if image := os.Getenv("ATRIUM_TEST_IMAGE"); image != "" {
		return image
	}
	return lastLine(run(t, "bash", "deploy/image/build.sh"))
}

// lastLine is the last line of a script's output, where the image
// scripts print the image they built.
func lastLine(out string) string {
	out = strings.TrimSpace(out)
	return out[strings.LastIndexByte(out, '\n')+1:]
}

// setupToken matches the setup link's token in the core's output.
var setupToken = regexp.MustCompile(`token=[^ ]+`)

// startPostgres builds and starts storetest's pgserver, a private
// PostgreSQL on loopback stopped when the test ends, and returns its URL.
func startPostgres(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pgserver")
	if err := harness.GoBuild(repoRoot(), bin, "./core/internal/store/storetest/pgserver"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the test PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		_ = stdin.Close() // pgserver stops PostgreSQL when stdin closes
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the test PostgreSQL did not start (see above): %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return strings.TrimSpace(line)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// waitReady polls url until it answers 200, ctx ends or alive (the
// server's process check) fails.
func waitReady(ctx context.Context, url string, alive func() error) error {
	var last string
	for {
		if err := alive(); err != nil {
			return fmt.Errorf("%w before %s answered 200", err, url)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, b)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never answered 200; last: %s", url, last)
		case <-time.After(300 * time.Millisecond):
		}
	}
}
