package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/dockertest"

	"github.com/atrium-hq/atrium/plugins/workspace-code/code"
)

// The code image test runs the real atrium/code image on the local Docker
// engine, on a network and with a fresh home volume of its own, and talks
// HTTP to code-server at the container's address, as the core's app proxy
// will. It builds the image with images/code/build.sh when it is missing
// or its build inputs changed: several minutes (debootstrap, then npm
// compiling code-server's native modules), as root. `make test` builds the
// images first. Start an engine with scripts/docker-up.sh.

const buildScript = "../../images/code/build.sh"

func TestCodeImage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	dockertest.Require(t, ctx)
	dockertest.BuildImage(t, ctx, buildScript)

	sb := dockertest.NewSandbox(t, ctx, "workspace-code")
	began := time.Now()
	c := sb.Run(t, ctx, nil, code.HomePath, code.DefaultImage, "--user", code.User)
	base := "http://" + net.JoinHostPort(c.IP.String(), strconv.Itoa(code.Port))

	t.Run("ready", func(t *testing.T) {
		body := c.WaitHTTP(t, ctx, code.Port, code.ReadyPath, time.Minute)
		t.Logf("%s answered 200 %s after docker run began", code.ReadyPath, time.Since(began).Round(time.Millisecond))
		var health struct{ Status string }
		if err := json.Unmarshal(body, &health); err != nil || health.Status == "" {
			t.Fatalf("%s answered %q (%v), want code-server's JSON health status", code.ReadyPath, body, err)
		}
	})

	t.Run("workbench without a login", func(t *testing.T) {
		// code-server's login is off (the core's proxy authenticates), so
		// the root serves the workbench itself, with the home as folder.
		resp, body := get(t, ctx, base+"/")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET / answered %s, want 200", resp.Status)
		}
		if strings.Contains(resp.Request.URL.Path, "login") {
			t.Fatalf("GET / led to %s: code-server asks for a password", resp.Request.URL)
		}
		page := string(body)
		for _, want := range []string{"vscode-workbench-web-configuration", code.HomePath} {
			if !strings.Contains(page, want) {
				t.Errorf("the workbench page lacks %q", want)
			}
		}
		if t.Failed() {
			t.Logf("the page:\n%.2000s", page)
		}
	})

	t.Run("runs as uid 1000 with a writable home", func(t *testing.T) {
		// Process 1 is code-server itself: the entrypoint execs it.
		if uid, err := c.Exec(ctx, "ps", "-o", "uid=", "-p", "1"); err != nil || strings.TrimSpace(uid) != "1000" {
			t.Fatalf("process 1 runs as uid %q (%v), want 1000", uid, err)
		}
		// code-server keeps its state in the home; finding it there, owned
		// by 1000, shows it could write to the fresh volume.
		state := code.HomePath + "/.local/share/code-server"
		if owner, err := c.Exec(ctx, "stat", "--format", "%u:%g", code.HomePath, state); err != nil || owner != code.User+"\n"+code.User {
			t.Fatalf("the home and %s belong to %q (%v), want %s", state, owner, err, code.User)
		}
		// No config file with a generated password lands in the home: the
		// image's own config file holds the settings.
		if _, err := c.Exec(ctx, "test", "!", "-e", code.HomePath+"/.config/code-server/config.yaml"); err != nil {
			t.Errorf("code-server wrote a config file into the home: %v", err)
		}
		if _, err := c.Exec(ctx, "sh", "-c", "echo hello > "+code.HomePath+"/made-in-the-session"); err != nil {
			t.Fatalf("write to the home as the image's user: %v", err)
		}
	})
}

// get fetches url, following redirects, and returns the final answer and
// its body.
func get(t *testing.T, ctx context.Context, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read the body: %v", url, err)
	}
	return resp, body
}
