package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/atrium-hq/atrium/test/dockertest"

	"github.com/atrium-hq/atrium/plugins/workspace-jupyter/jupyter"
)

// The Jupyter image test runs the real atrium/jupyter image on the local
// Docker engine, on a network and with a fresh home volume of its own, and
// talks to Jupyter Server at the container's address as a browser would
// through the core's app proxy: it loads the notebook page, starts a kernel
// over the REST API and runs code over the kernel's WebSocket. It builds
// the image with images/jupyter/build.sh when it is missing or its build
// inputs changed (debootstrap: minutes, as root); `make test` builds the
// images first. Start an engine with scripts/docker-up.sh.

const buildScript = "../../images/jupyter/build.sh"

func TestJupyterImage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	dockertest.Require(t, ctx)
	dockertest.BuildImage(t, ctx, buildScript)

	sb := dockertest.NewSandbox(t, ctx, "workspace-jupyter")
	began := time.Now()
	c := sb.Run(t, ctx, nil, jupyter.HomePath, jupyter.DefaultImage, "--user", jupyter.User)
	origin := "http://" + net.JoinHostPort(c.IP.String(), strconv.Itoa(jupyter.Port))
	b := newBrowser(t, origin)

	t.Run("ready", func(t *testing.T) {
		body := c.WaitHTTP(t, ctx, jupyter.Port, jupyter.ReadyPath, time.Minute)
		t.Logf("%s answered 200 %s after docker run began", jupyter.ReadyPath, time.Since(began).Round(time.Millisecond))
		var api struct{ Version string }
		if err := json.Unmarshal(body, &api); err != nil || api.Version == "" {
			t.Fatalf("%s answered %q (%v), want Jupyter's version", jupyter.ReadyPath, body, err)
		}
	})

	t.Run("notebook page without a token", func(t *testing.T) {
		// The root leads to the classic notebook's file tree, with no
		// login in between: the core's proxy authenticates.
		resp, body := b.do(t, ctx, http.MethodGet, "/", nil)
		if resp.StatusCode != http.StatusOK || !strings.HasSuffix(resp.Request.URL.Path, "/tree") {
			t.Fatalf("GET / ended at %s with %s, want 200 from /tree", resp.Request.URL, resp.Status)
		}
		if !strings.Contains(string(body), "notebook_list") {
			t.Fatalf("the /tree page is not the notebook's file list:\n%.2000s", body)
		}
		if b.xsrf() == "" {
			t.Fatal("the page set no _xsrf cookie; the browser could not call the API")
		}
	})

	var kernel string
	t.Run("start a kernel", func(t *testing.T) {
		resp, body := b.do(t, ctx, http.MethodPost, "/api/kernels", strings.NewReader(`{"name": "python3"}`))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST /api/kernels answered %s: %s", resp.Status, body)
		}
		var k struct{ ID string }
		if err := json.Unmarshal(body, &k); err != nil || k.ID == "" {
			t.Fatalf("POST /api/kernels answered %q (%v), want a kernel with an id", body, err)
		}
		kernel = k.ID
	})
	if kernel == "" {
		t.FailNow()
	}
	t.Cleanup(func() {
		if resp, body := b.do(t, context.Background(), http.MethodDelete, "/api/kernels/"+kernel, nil); resp.StatusCode != http.StatusNoContent {
			t.Errorf("DELETE the kernel answered %s: %s", resp.Status, body)
		}
	})
	channels := "ws://" + net.JoinHostPort(c.IP.String(), strconv.Itoa(jupyter.Port)) + "/api/kernels/" + kernel + "/channels"

	t.Run("run code over the WebSocket", func(t *testing.T) {
		ws := dialKernel(t, ctx, channels, origin)
		start := time.Now()
		if got := execute(t, ws, "1+1"); got != "2" {
			t.Fatalf("1+1 gave %q, want 2", got)
		}
		t.Logf("1+1 answered in %s on a kernel that POST /api/kernels started", time.Since(start).Round(time.Millisecond))

		// The kernel runs as uid 1000 and writes to the home volume.
		got := execute(t, ws, "import os\nopen(os.path.expanduser('~/from-the-kernel'), 'w').write('hello')\nos.getuid()")
		if got != "1000" {
			t.Fatalf("the kernel runs as uid %s, want 1000", got)
		}
		if owner, err := c.Exec(ctx, "stat", "--format", "%u:%g", jupyter.HomePath+"/from-the-kernel"); err != nil || owner != jupyter.User {
			t.Fatalf("the file the kernel wrote belongs to %q (%v), want %s", owner, err, jupyter.User)
		}
	})

	t.Run("another origin is refused", func(t *testing.T) {
		// With no token, Jupyter's same-origin check on WebSockets is what
		// stops a page from another origin driving kernels.
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
		conn, resp, err := d.DialContext(ctx, channels, http.Header{"Origin": {"http://attacker.example"}})
		if err == nil {
			_ = conn.Close()
			t.Fatal("Jupyter accepted a kernel WebSocket from another origin")
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a WebSocket from another origin failed with %v, want 403", err)
		}
	})

	t.Run("runs as uid 1000, secrets out of the home", func(t *testing.T) {
		// Process 1 is Jupyter Server itself: the entrypoint execs it.
		if uid, err := c.Exec(ctx, "ps", "-o", "uid=", "-p", "1"); err != nil || strings.TrimSpace(uid) != "1000" {
			t.Fatalf("process 1 runs as uid %q (%v), want 1000", uid, err)
		}
		// Kernel connection files carry each kernel's signing key; they
		// belong in the container's /tmp, not the persistent home.
		out, err := c.Exec(ctx, "sh", "-c", "find "+jupyter.HomePath+" /tmp -name 'kernel-*.json'")
		if err != nil {
			t.Fatalf("look for kernel connection files: %v", err)
		}
		if out == "" || strings.Contains(out, jupyter.HomePath) {
			t.Fatalf("kernel connection files at %q, want them under /tmp only", out)
		}
	})
}

// browser keeps cookies and sends the XSRF header, as the notebook's own
// JavaScript does on the same origin.
type browser struct {
	origin string
	client *http.Client
}

func newBrowser(t *testing.T, origin string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{origin: origin, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// xsrf is the _xsrf cookie the server set, which API writes must echo.
func (b *browser) xsrf() string {
	u, _ := url.Parse(b.origin)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "_xsrf" {
			return c.Value
		}
	}
	return ""
}

func (b *browser) do(t *testing.T, ctx context.Context, method, path string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, b.origin+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodGet {
		req.Header.Set("X-XSRFToken", b.xsrf())
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read the body: %v", method, path, err)
	}
	return resp, data
}

// dialKernel opens the kernel's channels WebSocket from the page's origin.
func dialKernel(t *testing.T, ctx context.Context, url, origin string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.DialContext(ctx, url+"?session_id=atrium-test", http.Header{"Origin": {origin}})
	if err != nil {
		status := "no answer"
		if resp != nil {
			status = resp.Status
		}
		t.Fatalf("open the kernel WebSocket: %v (%s)", err, status)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// message is a Jupyter protocol message as the server's JSON WebSocket
// carries it.
type message struct {
	Header       header          `json:"header"`
	ParentHeader header          `json:"parent_header"`
	Metadata     struct{}        `json:"metadata"`
	Content      json.RawMessage `json:"content"`
	Channel      string          `json:"channel"`
}

type header struct {
	MsgID    string `json:"msg_id,omitempty"`
	MsgType  string `json:"msg_type,omitempty"`
	Session  string `json:"session,omitempty"`
	Username string `json:"username,omitempty"`
	Version  string `json:"version,omitempty"`
}

var msgCount int

// execute runs code in the kernel and returns the text of its result,
// failing on an error reply or when none comes within a minute (the first
// request waits for the kernel to start).
func execute(t *testing.T, ws *websocket.Conn, code string) string {
	t.Helper()
	msgCount++
	id := fmt.Sprintf("atrium-test-%d", msgCount)
	content, _ := json.Marshal(map[string]any{
		"code": code, "silent": false, "store_history": false,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true,
	})
	req := message{
		Header:  header{MsgID: id, MsgType: "execute_request", Session: "atrium-test", Username: "atrium", Version: "5.3"},
		Content: content,
		Channel: "shell",
	}
	if err := ws.WriteJSON(req); err != nil {
		t.Fatalf("send execute_request: %v", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(time.Minute))
	defer ws.SetReadDeadline(time.Time{})
	for {
		var m message
		if err := ws.ReadJSON(&m); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("no execute_result for %q within a minute", code)
			}
			t.Fatalf("read from the kernel: %v", err)
		}
		if m.ParentHeader.MsgID != id {
			continue
		}
		switch m.Header.MsgType {
		case "execute_result":
			var r struct {
				Data map[string]string `json:"data"`
			}
			if err := json.Unmarshal(m.Content, &r); err != nil {
				t.Fatalf("execute_result %s: %v", m.Content, err)
			}
			return r.Data["text/plain"]
		case "error":
			t.Fatalf("the kernel failed to run %q: %s", code, m.Content)
		}
	}
}
