package auth

import (
	"context"
	"net/url"
)

// PageServer is implemented by plugins that serve their own login pages
// through the core (capability "pages"), as a password provider does: the
// core forwards each request under /api/v1/auth/{name}/pages/ as one
// ServePage call, so the plugin needs no listener of its own.
type PageServer interface {
	ServePage(ctx context.Context, req PageRequest) (PageResponse, error)
}

// PageRequest is one browser request the core forwarded.
type PageRequest struct {
	Method string
	// Path is what follows /pages/, without a leading slash.
	Path  string
	Query url.Values
	// Form is the decoded urlencoded body of a POST.
	Form url.Values
	// Headers are the few the core passes on (Accept, Accept-Language,
	// User-Agent), never cookies or credentials.
	Headers map[string]string
	// PagesURL is the absolute URL of the pages root, ending in "/".
	PagesURL string
}

// PageResponse either renders a page or, when Login is set, completes a
// login exactly as a callback's CompleteLogin would.
type PageResponse struct {
	// Status is the HTTP status; 0 means 200. The core refuses 1xx and 3xx:
	// a page that wants to move the browser on links or posts instead.
	Status      int
	ContentType string
	// Headers are passed on only when PageHeaderAllowed says so: cookies,
	// caching and security headers are the core's (it adds CSP, nosniff
	// and no-store itself), and the rest are dropped with a warning.
	Headers map[string]string
	// Body is at most MaxPageBody bytes; the core refuses more.
	Body  []byte
	Login *CompleteLoginResponse
	// Username, when set, says this request was a login attempt for that
	// username: it succeeded when Login is set and failed otherwise. The
	// core then throttles it like its own password logins (per client
	// address and username, 429 after too many failures, whatever the
	// plugin answered) and writes an auth.login_failed audit row for a
	// failure, so a plugin need not count guesses itself.
	Username string
}

// pageHeaders are the response headers a plugin page may set.
var pageHeaders = map[string]bool{"Content-Language": true, "Retry-After": true}

// PageHeaderAllowed reports whether the core passes on a page's header
// (the name in canonical form, such as "Content-Language").
func PageHeaderAllowed(name string) bool { return pageHeaders[name] }

// MaxPageBody bounds a page's body.
const MaxPageBody = 1 << 20
