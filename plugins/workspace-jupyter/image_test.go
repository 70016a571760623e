package main

import (
	"context"
	"encoding/json"
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
	"github.com/atrium-hq/atrium/test/jupyterkernel"

	"github.com/atrium-hq/atrium/plugins/workspace-jupyter/jupyter"
)

// The Jupyter image test runs the real atrium/jupyter image on the local
// Docker engine, on a network and with a fresh home volume of its own, and
// talks to Jupyter Server at the container's address as the core's app
// proxy does: every request carries the session's token, which Jupyter
// refuses to work without. It loads the notebook page, starts a kernel over
// the REST API and runs code over the kernel's WebSocket — once at the
// root, as on an app host of its own, and once under /apps/{session}/, as
// in the core's path mode. It builds the image with images/jupyter/build.sh
// when it is missing or its build inputs changed (debootstrap: minutes, as
// root); `make test` builds the images first. Start an engine with
// scripts/docker-up.sh.

const buildScript = "../../images/jupyter/build.sh"

func TestJupyterImage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	dockertest.Require(t, ctx)
	dockertest.BuildImage(t, ctx, buildScript)

	sb := dockertest.NewSandbox(t, ctx, "workspace-jupyter")
	t.Run("at the root", func(t *testing.T) { testJupyter(t, ctx, sb, "/") })
	t.Run("under a path", func(t *testing.T) { testJupyter(t, ctx, sb, "/apps/"+dockertest.RandomHex(t, 16)+"/") })
}

// testJupyter runs a container serving under base ("/" or "/apps/…/") and
// checks it as a browser behind the core's proxy would use it.
func testJupyter(t *testing.T, ctx context.Context, sb *dockertest.Sandbox, base string) {
	token := dockertest.RandomHex(t, 24)
	env := []string{jupyter.EnvToken + "=" + token}
	args := []string{"--user", jupyter.User, "--env", jupyter.EnvToken}
	if base != "/" {
		env = append(env, jupyter.EnvBasePath+"="+strings.TrimSuffix(base, "/"))
		args = append(args, "--env", jupyter.EnvBasePath)
	}
	// Jupyter is told the origin browsers reach it at. The test's requests
	// go to the container's address but carry the Origin that a page on
	// an app host of that name would.
	const origin = "http://s-1.apps.example.test"
	env = append(env, jupyter.EnvAllowOrigin+"="+origin)
	args = append(args, "--env", jupyter.EnvAllowOrigin)
	began := time.Now()
	c := sb.Run(t, ctx, env, jupyter.HomePath, jupyter.DefaultImage, args...)
	addr := "http://" + net.JoinHostPort(c.IP.String(), strconv.Itoa(jupyter.Port))
	b := newBrowser(t, addr, origin, token)
	anon := newBrowser(t, addr, origin, "")

	t.Run("ready without the token", func(t *testing.T) {
		body := c.WaitHTTP(t, ctx, jupyter.Port, strings.TrimSuffix(base, "/")+jupyter.ReadyPath, time.Minute)
		t.Logf("%s answered 200 %s after docker run began", jupyter.ReadyPath, time.Since(began).Round(time.Millisecond))
		var api struct{ Version string }
		if err := json.Unmarshal(body, &api); err != nil || api.Version == "" {
			t.Fatalf("%s answered %q (%v), want Jupyter's version", jupyter.ReadyPath, body, err)
		}
	})

	t.Run("nothing else without the token", func(t *testing.T) {
		if resp, body := anon.do(t, ctx, http.MethodGet, base+"api/kernels", nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET api/kernels without the token answered %s: %.200s", resp.Status, body)
		}
		if resp, _ := anon.do(t, ctx, http.MethodPost, base+"api/kernels", strings.NewReader(`{"name": "python3"}`)); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST api/kernels without the token answered %s", resp.Status)
		}
		resp, body := anon.do(t, ctx, http.MethodGet, base+"tree", nil)
		if resp.StatusCode == http.StatusOK && strings.Contains(string(body), "notebook_list") {
			t.Errorf("GET tree without the token served the file list (ended at %s)", resp.Request.URL)
		}
		if resp, _ := anon.do(t, ctx, http.MethodGet, base+"api/kernels?token=not-"+token, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a wrong token answered %s", resp.Status)
		}
	})

	t.Run("notebook page", func(t *testing.T) {
		// The base leads to the classic notebook's file tree, with no
		// login in between: the token is the proxy's.
		resp, body := b.do(t, ctx, http.MethodGet, base, nil)
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != base+"tree" {
			t.Fatalf("GET %s ended at %s with %s, want 200 from %stree", base, resp.Request.URL, resp.Status, base)
		}
		page := string(body)
		if !strings.Contains(page, "notebook_list") {
			t.Fatalf("the tree page is not the notebook's file list:\n%.2000s", body)
		}
		// Every absolute link stays under the base: a browser resolves
		// them against the app's origin, where only the base leads to it.
		links := absoluteLinks(page)
		if len(links) < 5 {
			t.Fatalf("the tree page has %d absolute links %v; want its scripts and styles", len(links), links)
		}
		for _, l := range links {
			if !strings.HasPrefix(l, base) {
				t.Errorf("the tree page links to %s, outside %s", l, base)
			}
		}
		if !strings.Contains(page, `data-base-url="`+base+`"`) {
			t.Errorf("the tree page's data-base-url is not %s", base)
		}
	})

	t.Run("CORS only for the app's origin", func(t *testing.T) {
		// Token-authenticated requests skip Jupyter's own origin checks
		// (the proxy makes them), and without allow_origin Jupyter would
		// grant CORS to whatever Origin a request carries.
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, addr+base+"api/contents", nil)
		req.Header.Set("Authorization", "token "+token)
		req.Header.Set("Origin", "http://attacker.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" && got != origin {
			t.Errorf("Access-Control-Allow-Origin %q for another origin's request, want %q or none", got, origin)
		}
	})

	var kernel string
	t.Run("start a kernel", func(t *testing.T) {
		resp, body := b.do(t, ctx, http.MethodPost, base+"api/kernels", strings.NewReader(`{"name": "python3"}`))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST api/kernels answered %s: %s", resp.Status, body)
		}
		var k struct{ ID string }
		if err := json.Unmarshal(body, &k); err != nil || k.ID == "" {
			t.Fatalf("POST api/kernels answered %q (%v), want a kernel with an id", body, err)
		}
		kernel = k.ID
	})
	if kernel == "" {
		t.FailNow()
	}
	t.Cleanup(func() {
		if resp, body := b.do(t, context.Background(), http.MethodDelete, base+"api/kernels/"+kernel, nil); resp.StatusCode != http.StatusNoContent {
			t.Errorf("DELETE the kernel answered %s: %s", resp.Status, body)
		}
	})
	channels := "ws://" + net.JoinHostPort(c.IP.String(), strconv.Itoa(jupyter.Port)) + base + "api/kernels/" + kernel + "/channels"

	t.Run("run code over the WebSocket", func(t *testing.T) {
		ws := dialKernel(t, ctx, channels, origin, token)
		start := time.Now()
		if got := execute(t, ws, "1+1"); got != "2" {
			t.Fatalf("1+1 gave %q, want 2", got)
		}
		t.Logf("1+1 answered in %s on a kernel that POST api/kernels started", time.Since(start).Round(time.Millisecond))

		// The kernel runs as uid 1000, writes to the home volume, and does
		// not inherit the token.
		got := execute(t, ws, "import os\nopen(os.path.expanduser('~/from-the-kernel'), 'w').write('hello')\nos.getuid()")
		if got != "1000" {
			t.Fatalf("the kernel runs as uid %s, want 1000", got)
		}
		if owner, err := c.Exec(ctx, "stat", "--format", "%u:%g", jupyter.HomePath+"/from-the-kernel"); err != nil || owner != jupyter.User {
			t.Fatalf("the file the kernel wrote belongs to %q (%v), want %s", owner, err, jupyter.User)
		}
		if got := execute(t, ws, "any('"+token+"' in v for v in os.environ.values())"); got != "False" {
			t.Errorf("the token is in the kernel's environment (%s)", got)
		}
	})

	t.Run("no kernel WebSocket without the token", func(t *testing.T) {
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
		conn, resp, err := d.DialContext(ctx, channels, http.Header{"Origin": {origin}})
		if err == nil {
			_ = conn.Close()
			t.Fatal("Jupyter accepted a kernel WebSocket without the token")
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a kernel WebSocket without the token failed with %v, want 403", err)
		}
	})

	t.Run("runs as uid 1000, secrets out of sight", func(t *testing.T) {
		// Process 1 is Jupyter Server itself: the entrypoint execs it.
		if uid, err := c.Exec(ctx, "ps", "-o", "uid=", "-p", "1"); err != nil || strings.TrimSpace(uid) != "1000" {
			t.Fatalf("process 1 runs as uid %q (%v), want 1000", uid, err)
		}
		// The token is neither in Jupyter's environment, which kernels
		// and terminals inherit, nor on its command line, which ps shows.
		for _, f := range []string{"/proc/1/environ", "/proc/1/cmdline"} {
			out, err := c.Exec(ctx, "cat", f)
			if err != nil {
				t.Fatalf("read %s: %v", f, err)
			}
			if strings.Contains(out, token) {
				t.Errorf("the token is in %s", f)
			}
		}
		if logs, err := dockertest.Docker(ctx, nil, "logs", c.ID); err != nil || strings.Contains(logs, token) {
			t.Errorf("the token is in the container's log (%v)", err)
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

// absoluteLinks returns the href and src values of a page that are
// absolute paths.
func absoluteLinks(page string) []string {
	var out []string
	for _, attr := range []string{`href="`, `src="`} {
		rest := page
		for {
			i := strings.Index(rest, attr)
			if i < 0 {
				break
			}
			rest = rest[i+len(attr):]
			v, _, _ := strings.Cut(rest, `"`)
			if strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") {
				out = append(out, v)
			}
		}
	}
	return out
}

// browser keeps cookies, presents the token as the core's proxy does, and
// sends the XSRF header and its Origin as the notebook's own JavaScript
// does; addr is where it connects, origin the page's origin.
type browser struct {
	addr, origin, token string
	client              *http.Client
}

func newBrowser(t *testing.T, addr, origin, token string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{addr: addr, origin: origin, token: token, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// xsrf is the _xsrf cookie the server set, which API writes must echo.
func (b *browser) xsrf() string {
	u, _ := url.Parse(b.addr)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "_xsrf" {
			return c.Value
		}
	}
	return ""
}

func (b *browser) do(t *testing.T, ctx context.Context, method, path string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, b.addr+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if b.token != "" {
		req.Header.Set("Authorization", "token "+b.token)
	}
	if method != http.MethodGet {
		req.Header.Set("X-XSRFToken", b.xsrf())
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", b.origin)
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

// dialKernel opens the kernel's channels WebSocket from the page's origin,
// with the token as the core's proxy presents it.
func dialKernel(t *testing.T, ctx context.Context, url, origin, token string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.DialContext(ctx, url+"?session_id=atrium-test", http.Header{"Origin": {origin}, "Authorization": {"token " + token}})
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

// execute runs code in the kernel and returns the text of its result,
// failing on an error reply or when none comes within a minute (the first
// request waits for the kernel to start).
func execute(t *testing.T, ws *websocket.Conn, code string) string {
	t.Helper()
	got, err := jupyterkernel.Execute(ws, code, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
