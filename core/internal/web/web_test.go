package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"
)

// builtFS looks like a Vite build.
var builtFS = fstest.MapFS{
	".gitkeep":             {Data: nil},
	"index.html":           {Data: []byte(`<!doctype html><script type="module" src="/assets/index-abc.js"></script>`)},
	"favicon.svg":          {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	"assets/index-abc.js":  {Data: []byte(`console.log("ui")`)},
	"assets/index-abc.css": {Data: []byte(`body{}`)},
}

// app mounts the handler the way the core does: after the API routes and
// before a catch-all that answers like the API's not-found.
func app(t *testing.T, h fiber.Handler) *fiber.App {
	t.Helper()
	a := fiber.New()
	a.Get("/api/v1/me", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"me": true}) })
	a.Use(h)
	a.Use(func(c *fiber.Ctx) error { return c.Status(http.StatusNotFound).SendString("api-not-found") })
	return a
}

func get(t *testing.T, a *fiber.App, method, target string) (*http.Response, string) {
	t.Helper()
	resp, err := a.Test(httptest.NewRequest(method, target, nil), -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestServesFilesWithTypesAndCaching(t *testing.T) {
	a := app(t, newHandler(builtFS))
	for _, tc := range []struct {
		path, ctype, cache, body string
	}{
		{"/assets/index-abc.js", "text/javascript; charset=utf-8", cacheImmutable, `console.log("ui")`},
		{"/assets/index-abc.css", "text/css; charset=utf-8", cacheImmutable, `body{}`},
		{"/favicon.svg", "image/svg+xml", cacheRevalidate, `<svg`},
		{"/", "text/html; charset=utf-8", cacheRevalidate, `<!doctype html>`},
		{"/index.html", "text/html; charset=utf-8", cacheRevalidate, `<!doctype html>`},
	} {
		resp, body := get(t, a, http.MethodGet, tc.path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", tc.path, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != tc.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.path, got, tc.ctype)
		}
		if got := resp.Header.Get("Cache-Control"); got != tc.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", tc.path, got, tc.cache)
		}
		if !strings.HasPrefix(body, tc.body) {
			t.Errorf("GET %s: body %q, want prefix %q", tc.path, body, tc.body)
		}
	}
}

func TestSPAFallback(t *testing.T) {
	a := app(t, newHandler(builtFS))
	for _, p := range []string{"/sessions", "/sessions/3f1c", "/admin/audit?action=user.create", "/a/../login"} {
		resp, body := get(t, a, http.MethodGet, p)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "/assets/index-abc.js") {
			t.Errorf("GET %s: %d %q, want index.html", p, resp.StatusCode, body)
		}
		if got := resp.Header.Get("Cache-Control"); got != cacheRevalidate {
			t.Errorf("GET %s: Cache-Control %q, want %q", p, got, cacheRevalidate)
		}
	}
	if resp, _ := get(t, a, http.MethodHead, "/sessions"); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD /sessions: status %d", resp.StatusCode)
	}
}

func TestLeavesAPIAndOtherMethodsAlone(t *testing.T) {
	a := app(t, newHandler(builtFS))
	if _, body := get(t, a, http.MethodGet, "/api/v1/me"); !strings.Contains(body, `"me":true`) {
		t.Errorf("GET /api/v1/me: %q, want the API's answer", body)
	}
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/nope"},
		{http.MethodGet, "/api"},
		{http.MethodPost, "/sessions"},
		{http.MethodDelete, "/index.html"},
	} {
		resp, body := get(t, a, tc.method, tc.path)
		if resp.StatusCode != http.StatusNotFound || body != "api-not-found" {
			t.Errorf("%s %s: %d %q, want the next handler's 404", tc.method, tc.path, resp.StatusCode, body)
		}
		if resp.Header.Get("Content-Security-Policy") != "" {
			t.Errorf("%s %s: the UI's headers leaked onto a response it did not write", tc.method, tc.path)
		}
	}
}

func TestMissingAssetIs404NotHTML(t *testing.T) {
	a := app(t, newHandler(builtFS))
	for _, p := range []string{"/assets/index-old.js", "/robots.txt", "/.gitkeep"} {
		resp, body := get(t, a, http.MethodGet, p)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "<html") {
			t.Errorf("GET %s: %d %q, want a plain 404", p, resp.StatusCode, body)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	a := app(t, newHandler(builtFS))
	for _, p := range []string{"/", "/sessions", "/assets/index-abc.js", "/assets/missing.js"} {
		resp, _ := get(t, a, http.MethodGet, p)
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'self'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", p, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: CSP %q allows inline or eval'd script", p, csp)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", p, got)
		}
		if got := resp.Header.Get("Referrer-Policy"); got != "same-origin" {
			t.Errorf("GET %s: Referrer-Policy %q", p, got)
		}
	}
}

func TestNotBuiltPage(t *testing.T) {
	a := app(t, newHandler(fstest.MapFS{".gitkeep": {Data: nil}}))
	for _, p := range []string{"/", "/sessions"} {
		resp, body := get(t, a, http.MethodGet, p)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET %s: status %d, want 503", p, resp.StatusCode)
		}
		if !strings.Contains(body, "The web UI is not built") || !strings.Contains(body, "make build") {
			t.Errorf("GET %s: body %q does not say how to build the UI", p, body)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
	}
	if _, body := get(t, a, http.MethodGet, "/api/v1/me"); !strings.Contains(body, `"me":true`) {
		t.Errorf("the API must work without the UI; got %q", body)
	}
}

// TestEmbedded checks the real embedded tree: it always holds .gitkeep,
// and Handler must build whether or not the UI was built.
func TestEmbedded(t *testing.T) {
	if _, err := FS().Open(".gitkeep"); err != nil {
		t.Fatalf("dist/.gitkeep is not embedded: %v", err)
	}
	a := app(t, Handler())
	resp, body := get(t, a, http.MethodGet, "/sessions")
	switch {
	case Built() && resp.StatusCode != http.StatusOK:
		t.Errorf("built UI: GET /sessions: %d", resp.StatusCode)
	case !Built() && !strings.Contains(body, "not built"):
		t.Errorf("unbuilt UI: GET /sessions: %d %q", resp.StatusCode, body)
	}
}
