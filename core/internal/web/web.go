// Package web serves Atrium's browser UI: the files `make web` builds from
// web/ into dist/, embedded in the binary with go:embed.
//
// dist/ is committed holding only .gitkeep, so `go build` works before npm
// has run; such a binary answers every UI path with a page that says how to
// build the UI.
package web

import (
	"embed"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

//go:embed all:dist
var dist embed.FS

// ContentSecurityPolicy is sent with every UI response. Scripts and styles
// come only from this origin (the build emits no inline script); connect-src
// 'self' covers the API, the session event stream and the relay's
// WebSocket; noVNC draws cursors from data: URLs; nothing may frame the UI.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const (
	// cacheImmutable is for Vite's content-hashed files under assets/:
	// a new build gives them new names.
	cacheImmutable = "public, max-age=31536000, immutable"
	// cacheRevalidate is for index.html and other unhashed files, which
	// name the current build's assets and so must never be served stale.
	cacheRevalidate = "no-cache"
)

// FS returns the built UI, rooted at dist/. It holds only .gitkeep when the
// UI has not been built.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid path, and "dist" is valid.
		panic(fmt.Errorf("web: open embedded dist: %w", err))
	}
	return sub
}

// Built reports whether the embedded UI includes index.html.
func Built() bool {
	_, err := fs.Stat(FS(), "index.html")
	return err == nil
}

// file is one embedded file, read once.
type file struct {
	body        []byte
	contentType string
	cache       string
}

// Handler serves the UI from FS. Mount it after every API route (with
// app.Use): it passes API paths (/api/…) and methods other than GET and
// HEAD to the next handler, serves files that exist, and answers any other
// path with index.html, whose router then shows the page or its own "not
// found". A missing asset (a path with a file extension) is a plain 404,
// so a browser holding an old index.html gets a clear error rather than
// HTML where it expected JavaScript.
func Handler() fiber.Handler {
	return newHandler(FS())
}

func newHandler(fsys fs.FS) fiber.Handler {
	files, err := load(fsys)
	if err != nil {
		// The embedded tree is fixed at build time: a read error is a
		// broken binary, not a runtime condition.
		panic(fmt.Errorf("web: read embedded UI: %w", err))
	}
	index, built := files["index.html"]
	return func(c *fiber.Ctx) error {
		p := c.Path()
		if (c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead) || p == "/api" || strings.HasPrefix(p, "/api/") {
			return c.Next()
		}
		setSecurityHeaders(c)
		name := strings.TrimPrefix(path.Clean("/"+p), "/")
		if f, ok := files[name]; ok && name != "index.html" {
			return send(c, f)
		}
		if path.Ext(name) != "" && name != "index.html" {
			c.Set(fiber.HeaderCacheControl, cacheRevalidate)
			return c.Status(http.StatusNotFound).Type("txt").SendString("not found: " + p + "\n")
		}
		if !built {
			c.Set(fiber.HeaderCacheControl, "no-store")
			return c.Status(http.StatusServiceUnavailable).Type("html", "utf-8").SendString(notBuiltPage)
		}
		return send(c, index)
	}
}

func send(c *fiber.Ctx, f file) error {
	c.Set(fiber.HeaderContentType, f.contentType)
	c.Set(fiber.HeaderCacheControl, f.cache)
	return c.Send(f.body)
}

func setSecurityHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", ContentSecurityPolicy)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Frame-Options", "DENY") // for browsers without frame-ancestors
}

// load reads every regular file of fsys except dotfiles (.gitkeep).
func load(fsys fs.FS) (map[string]file, error) {
	files := map[string]file{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(path.Base(name), ".") {
			return nil
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		cache := cacheRevalidate
		if strings.HasPrefix(name, "assets/") {
			cache = cacheImmutable
		}
		files[name] = file{body: body, contentType: contentType(name), cache: cache}
		return nil
	})
	return files, err
}

// contentType names a file's media type from its extension, with a fixed
// table for the types a Vite build emits, so the answer does not depend on
// the host's /etc/mime.types.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".woff2":
		return "font/woff2"
	case ".wasm":
		return "application/wasm"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// notBuiltPage is served for UI paths by a binary built without the UI.
const notBuiltPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Atrium: web UI not built</title></head>
<body>
<main>
<h1>The web UI is not built</h1>
<p>This atrium binary was compiled without its web UI. Run <code>make build</code>
(which runs <code>npm ci</code> and <code>npm run build</code> in <code>web/</code>) and
start the new binary.</p>
<p>The API under <code>/api/v1</code> works without it.</p>
</main>
</body>
</html>
`
