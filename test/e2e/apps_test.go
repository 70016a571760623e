package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/atrium-hq/atrium/test/harness"
	"github.com/atrium-hq/atrium/test/jupyterkernel"
)

// The web app templates appsHCL declares, and the server block line that
// turns on origin isolation: each session's app on a host of its own
// under *.apps.localhost, which harness.App dials at the core's listener.
const (
	codeTemplate    = "code"
	jupyterTemplate = "jupyter"
	appDomainHCL    = "  app_domain = \"*.apps.localhost\"\n"
)

// appTimeout bounds a web app session's start on a loaded machine:
// code-server and Jupyter Server need several seconds more than Xvnc.
const appTimeout = 3 * time.Minute

// appsHCL declares the VS Code and Jupyter workspace plugins (their
// default images, atrium/code:1 and atrium/jupyter:1) and one template of
// each on runtime.
func appsHCL(t *testing.T, runtime string) string {
	t.Helper()
	return fmt.Sprintf(`
plugin "code" {
  path   = %q
  sha256 = %q
}

plugin "jupyter" {
  path   = %q
  sha256 = %q
}

workspace "code" {
  plugin = "code"
}

workspace "jupyter" {
  plugin = "jupyter"
}

template %q {
  workspace = "code"
  runtime   = %q
  cpu       = 2
  memory    = "2GiB"
}

template %q {
  workspace = "jupyter"
  runtime   = %q
  cpu       = 1
  memory    = "1GiB"
}
`, bins.workspaceCode, sha256File(t, bins.workspaceCode), bins.workspaceJupyter, sha256File(t, bins.workspaceJupyter),
		codeTemplate, runtime, jupyterTemplate, runtime)
}

// startApps creates a VS Code and a Jupyter session as cl, both at once,
// and waits until both run.
func startApps(t *testing.T, cl *harness.Client) (code, jupyter harness.Session) {
	t.Helper()
	var ss [2]harness.Session
	for i, tmpl := range []string{codeTemplate, jupyterTemplate} {
		s, err := cl.CreateSession(ctxT(t, 30*time.Second), tmpl)
		if err != nil {
			t.Fatal(err)
		}
		ss[i] = s
	}
	for i, s := range ss {
		began := time.Now()
		got, err := cl.WaitState(ctxT(t, appTimeout), s.ID, "running")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s session %s running (%s more after the previous)", got.Template, s.ID, time.Since(began).Round(time.Millisecond))
		ss[i] = got
	}
	return ss[0], ss[1]
}

// useAppsThroughTheProxy opens both sessions' apps the way the UI's Open
// does and uses them through the core's app proxy: code-server's
// workbench page and its remote agent's WebSocket, and a Jupyter kernel
// started through its REST API that computes 1+1 over its channels
// WebSocket. Then it checks that the app hosts refuse what carries no
// app cookie, and links spent or taken to another app's host.
func useAppsThroughTheProxy(t *testing.T, cl *harness.Client, code, jupyter harness.Session) {
	t.Helper()
	codeApp, err := harness.OpenApp(ctxT(t, 30*time.Second), cl, code.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkCodeServer(t, codeApp)
	jupyterApp, err := harness.OpenApp(ctxT(t, 30*time.Second), cl, jupyter.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkJupyter(t, jupyterApp)
	assertAppsRefuse(t, cl, code.ID, codeApp, jupyterApp)
}

// codeSocketPath is where code-server's workbench opens its remote
// agent's WebSocket: VS Code's server upgrades it only with these
// parameters.
func codeSocketPath() string {
	return "/?reconnectionToken=" + randomHex(16) + "&reconnection=false&skipWebSocketFrames=false"
}

// checkCodeServer loads code-server's workbench through the proxy and
// opens the WebSocket the workbench opens, which code-server answers with
// 101 and then a message of VS Code's own protocol: the proxy upgrades
// the client only once the app has, and could not make that message up.
func checkCodeServer(t *testing.T, a *harness.App) {
	t.Helper()
	ctx := ctxT(t, 60*time.Second)
	resp, body, err := a.Get(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	// code-server sends the root to the folder it opens, the home.
	loc, lerr := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || lerr != nil || loc.Query().Get("folder") != "/home/atrium" {
		t.Fatalf("GET / on VS Code's host: %d Location %q %.300s; want code-server's 302 to ?folder=/home/atrium", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	next := (&url.URL{Path: "/"}).ResolveReference(loc)
	resp, body, err = a.Get(ctx, next.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="vscode-workbench-web-configuration"`, "codeServerVersion", "/home/atrium/.local/share/code-server"} {
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(want)) {
			t.Fatalf("GET %s on VS Code's host: %d, the page lacks %q: %.500s", next, resp.StatusCode, want, body)
		}
	}

	ws, resp, err := a.DialWebSocket(ctx, codeSocketPath(), nil)
	if err != nil {
		t.Fatalf("code-server's remote agent WebSocket: %v (answer %s)", err, status(resp))
	}
	defer ws.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("code-server's WebSocket answered %d, not 101", resp.StatusCode)
	}
	// VS Code's server speaks first: a binary message with its 13-byte
	// header (type, id, ack, then the length of what follows).
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	kind, msg, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read code-server's first WebSocket message: %v", err)
	}
	if kind != websocket.BinaryMessage || len(msg) < 13 || int(binary.BigEndian.Uint32(msg[9:13])) != len(msg)-13 {
		t.Fatalf("code-server's first WebSocket message is %d %x; want a binary message of VS Code's protocol (13-byte header, then its length in data)", kind, msg)
	}
	t.Logf("code-server's WebSocket answered 101, then a VS Code protocol message of type %d", msg[0])

}

// checkJupyter loads Jupyter's file list through the proxy, starts a
// Python kernel with its REST API, runs 1+1 on the kernel's channels
// WebSocket, sees 2 in the execute_result, and shuts the kernel down.
func checkJupyter(t *testing.T, a *harness.App) {
	t.Helper()
	ctx := ctxT(t, 2*time.Minute)
	resp, body, err := a.Get(ctx, "/tree")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`id="notebook_list"`)) {
		t.Fatalf("GET /tree on Jupyter's host: %d %.500s; want the classic notebook's file list", resp.StatusCode, body)
	}
	// As a page of the app sends it: from the app's own origin.
	hdr := http.Header{"Content-Type": {"application/json"}, "Origin": {a.Origin}}
	resp, body, err = a.Do(ctx, http.MethodPost, "/api/kernels", strings.NewReader(`{"name":"python3"}`), hdr)
	if err != nil {
		t.Fatal(err)
	}
	var kernel struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &kernel) != nil || kernel.ID == "" {
		t.Fatalf("POST /api/kernels on Jupyter's host: %d %.500s; want 201 with the new kernel", resp.StatusCode, body)
	}
	defer func() {
		resp, body, err := a.Do(ctxT(t, 30*time.Second), http.MethodDelete, "/api/kernels/"+kernel.ID, nil, http.Header{"Origin": {a.Origin}})
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Errorf("DELETE the kernel: %s %.300s (%v); want 204", status(resp), body, err)
		}
	}()

	// Only Atrium's app cookie on the upgrade, none Jupyter set on the
	// requests above: the kernel socket must open on the token the proxy
	// injects into the upgrade itself.
	bare, err := a.WithOnlyCookie("atrium_app") // appproxy.PlainAppCookie
	if err != nil {
		t.Fatal(err)
	}
	ws, resp, err := bare.DialWebSocket(ctx, "/api/kernels/"+kernel.ID+"/channels?session_id="+randomHex(16), nil)
	if err != nil {
		t.Fatalf("the kernel's channels WebSocket: %v (answer %s)", err, status(resp))
	}
	defer ws.Close()
	got, err := jupyterkernel.Execute(ws, "1+1", 90*time.Second)
	if err != nil || got != "2" {
		t.Fatalf("1+1 on the kernel through the proxy gave %q (%v), not 2", got, err)
	}
	t.Log("Jupyter's kernel computed 1+1 = 2 over its WebSocket through the proxy")
}

// assertAppsRefuse checks what the app hosts refuse: any request, or
// WebSocket, without the app cookie, even with the core's own login
// cookie; and a link to VS Code's app (session codeID) taken to Jupyter's
// host, which spends it.
func assertAppsRefuse(t *testing.T, cl *harness.Client, codeID string, code, jupyter *harness.App) {
	t.Helper()
	ctx := ctxT(t, 60*time.Second)
	bare, err := harness.NewApp(cl.Base, code.Origin)
	if err != nil {
		t.Fatal(err)
	}
	loginCookie := http.Header{"Cookie": {harness.SessionCookie + "=" + cl.Cookie}}
	for what, h := range map[string]http.Header{"without a cookie": nil, "with the core's login cookie alone": loginCookie} {
		resp, body, err := bare.Do(ctx, http.MethodGet, "/", nil, h)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusUnauthorized || problemType(body) != "app-unauthenticated" {
			t.Errorf("GET / on VS Code's host %s: %d %.300s; want 401 app-unauthenticated", what, resp.StatusCode, body)
		}
		_, resp, err = bare.DialWebSocket(ctx, codeSocketPath(), h)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("code-server's WebSocket %s: %v (answer %s); want 401", what, err, status(resp))
		}
	}

	// VS Code's link, taken to Jupyter's host, opens nothing and is spent.
	link, err := cl.AppLink(ctx, codeID)
	if err != nil {
		t.Fatal(err)
	}
	stolen, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	stolen.Host = strings.TrimPrefix(jupyter.Origin, "http://")
	elsewhere, err := harness.NewApp(cl.Base, jupyter.Origin)
	if err != nil {
		t.Fatal(err)
	}
	for _, try := range []struct {
		what string
		app  *harness.App
		link string
	}{{"on Jupyter's host", elsewhere, stolen.String()}, {"then on its own host", bare, link}} {
		resp, body, err := try.app.Get(ctx, try.link)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusForbidden || problemType(body) != "app-token" {
			t.Errorf("VS Code's app link %s: %d %.300s; want 403 app-token", try.what, resp.StatusCode, body)
		}
	}
}

// problemType is the last path segment of a problem+json body's type.
func problemType(body []byte) string {
	var p struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(body, &p)
	return p.Type[strings.LastIndex(p.Type, "/")+1:]
}

// status describes an HTTP answer that may be missing.
func status(resp *http.Response) string {
	if resp == nil {
		return "none"
	}
	return resp.Status
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requireImages fails the test unless Docker holds every image: the web
// app images are built by `make images`, never here.
func requireImages(t *testing.T, dc *desktopCore, images ...string) {
	t.Helper()
	for _, img := range images {
		if _, err := dc.docker.ImageInspect(ctxT(t, 30*time.Second), img); err != nil {
			t.Fatalf("Docker lacks %s (%v); build it with `make images` (as root)", img, err)
		}
	}
}

// TestAppsOnDockerThroughTheProxy: a VS Code and a Jupyter session on
// Docker, created through the API, are used through the core's app proxy
// in origin isolation mode as useAppsThroughTheProxy describes; deleted
// with their home, they leave nothing in Docker.
func TestAppsOnDockerThroughTheProxy(t *testing.T) {
	dc := startDesktopCoreWith(t, emptyDatabase(t), appDomainHCL, appsHCL(t, "docker"), true)
	requireImages(t, dc, "atrium/code:1", "atrium/jupyter:1")
	code, jupyter := startApps(t, dc.admin)
	useAppsThroughTheProxy(t, dc.admin, code, jupyter)
	deleteKeepThenRemove(t, dc.admin, code.ID, jupyter.ID)
	dc.assertGone(t, code.UserID, nil, code.ID, jupyter.ID)
}
