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
	// Status is the HTTP status; 0 means 200.
	Status      int
	ContentType string
	// Body is at most MaxPageBody bytes; the core refuses more.
	Body  []byte
	Login *CompleteLoginResponse
}

// MaxPageBody bounds a page's body.
const MaxPageBody = 1 << 20
