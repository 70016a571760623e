// Package dockertest holds what the image tests of Atrium's workspace
// plugins share: they run a session image on the local Docker engine
// through the docker CLI, on a network and with a home volume of their own,
// the way runtime-docker would, and remove all of it when the test ends.
//
// Everything it creates carries the label atrium-test=<what the test
// names>, so a run interrupted before its cleanup leaves objects that are
// easy to find.
package dockertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Require fails the test with the way out when no engine answers.
func Require(t testing.TB, ctx context.Context) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatal("this test needs the docker CLI and a running engine; run scripts/docker-up.sh as root (installs docker.io, starts dockerd)")
	}
	if _, err := Docker(ctx, nil, "info", "--format", "{{ .ServerVersion }}"); err != nil {
		t.Fatalf("no Docker engine answers: %v; run scripts/docker-up.sh as root", err)
	}
}

// BuildImage runs an image's build script (images/<name>/build.sh), which
// returns at once when the image is up to date and otherwise builds it with
// debootstrap: minutes, as root.
func BuildImage(t testing.TB, ctx context.Context, script string) {
	t.Helper()
	began := time.Now()
	out, err := exec.CommandContext(ctx, "bash", script).CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v; run it as root and see its output:\n%s", script, err, out)
	}
	t.Logf("%s (%s):\n%s", script, time.Since(began).Round(time.Millisecond), bytes.TrimSpace(out))
}

// Sandbox is a bridge network and a fresh named volume for one test,
// removed when the test ends.
type Sandbox struct {
	// Label is "atrium-test=<name>", on everything the sandbox creates.
	Label   string
	Network string
	Volume  string
}

// NewSandbox creates the network and the volume; name says which test owns
// them.
func NewSandbox(t testing.TB, ctx context.Context, name string) *Sandbox {
	t.Helper()
	run := RandomHex(t, 4)
	s := &Sandbox{
		Label:   "atrium-test=" + name,
		Network: "atrium-" + name + "-test-" + run,
		Volume:  "atrium-" + name + "-test-home-" + run,
	}
	if _, err := Docker(ctx, nil, "network", "create", "--driver", "bridge", "--label", s.Label, s.Network); err != nil {
		t.Fatalf("create test network: %v", err)
	}
	t.Cleanup(func() { Remove(t, "network", "rm", s.Network) })
	// A fresh named volume over the home, as runtime-docker mounts a new
	// user's home: uid 1000 must be able to write to it.
	if _, err := Docker(ctx, nil, "volume", "create", "--label", s.Label, s.Volume); err != nil {
		t.Fatalf("create test volume: %v", err)
	}
	t.Cleanup(func() { Remove(t, "volume", "rm", "--force", s.Volume) })
	return s
}

// Container is a running test container.
type Container struct {
	ID string
	// IP is its address on the sandbox's network.
	IP net.IP
}

// Run starts image detached on the sandbox's network, with the volume
// mounted at home, and removes it when the test ends, showing its logs
// first if the test failed. env adds to the docker CLI's environment (so
// secrets can pass by name in args, never by value); args go before the
// image.
func (s *Sandbox) Run(t testing.TB, ctx context.Context, env []string, home, image string, args ...string) Container {
	t.Helper()
	full := append([]string{"run", "--detach", "--network", s.Network, "--label", s.Label,
		"--volume", s.Volume + ":" + home}, args...)
	id, err := Docker(ctx, env, append(full, image)...)
	if err != nil {
		t.Fatalf("docker run %s: %v", image, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := exec.Command("docker", "logs", id).CombinedOutput()
			t.Logf("container logs:\n%s", logs)
		}
		Remove(t, "rm", "--force", "--volumes", id)
	})
	out, err := Docker(ctx, nil, "inspect", "--format", fmt.Sprintf("{{ (index .NetworkSettings.Networks %q).IPAddress }}", s.Network), id)
	ip := net.ParseIP(out)
	if err != nil || ip == nil {
		t.Fatalf("container address on %s: %q, %v", s.Network, out, err)
	}
	return Container{ID: id, IP: ip}
}

// Running reports whether the container still runs; a test waiting for it
// to get ready should stop waiting when it does not.
func (c Container) Running(ctx context.Context) bool {
	out, _ := Docker(ctx, nil, "inspect", "--format", "{{ .State.Running }}", c.ID)
	return out == "true"
}

// Exec runs a command in the container as its image's user and returns
// its trimmed output.
func (c Container) Exec(ctx context.Context, cmd ...string) (string, error) {
	return Docker(ctx, nil, append([]string{"exec", c.ID}, cmd...)...)
}

// Docker runs the docker CLI and returns its trimmed output. env adds to
// the CLI's environment.
func Docker(ctx context.Context, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// Remove removes a test object; failing to is a leak, so the test fails.
func Remove(t testing.TB, args ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := Docker(ctx, nil, args...); err != nil {
		t.Errorf("cleanup: %v", err)
	}
}

// RandomHex returns n random bytes in hex.
func RandomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// WaitHTTP polls GET http://<container>:port<path> until it answers 200,
// failing the test when the container exits or within passes. It returns
// the body of that answer.
func (c Container) WaitHTTP(t testing.TB, ctx context.Context, port int, path string, within time.Duration) []byte {
	t.Helper()
	url := "http://" + net.JoinHostPort(c.IP.String(), strconv.Itoa(port)) + path
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	for {
		var last string
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		resp, err := client.Do(req)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK && rerr == nil {
				return body
			}
			last = fmt.Sprintf("status %s", resp.Status)
		} else {
			last = err.Error()
		}
		if !c.Running(ctx) {
			t.Fatalf("the container stopped before GET %s answered 200 (last try: %s)", path, last)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s did not answer 200 within %s (last try: %s)", url, within, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
