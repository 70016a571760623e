package appproxy

import (
	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// crossOrigin refuses a state-changing request (any method but GET, HEAD
// and OPTIONS) that a browser sent from a page of another origin. Apps
// cannot be left to check this themselves: Jupyter skips its XSRF and
// origin checks for token-authenticated requests, and every request the
// proxy forwards carries the token; and the app cookie is SameSite=Lax,
// which a sibling app's host — same site, another origin — still gets.
// The browser says where a request comes from: Origin when it sends one
// (every cross-origin write of a current browser does), else
// Sec-Fetch-Site. A request with neither is no browser's cross-origin
// write, and passes.
func (p *Proxy) crossOrigin(c *fiber.Ctx, s store.Session, prefix string) *refusal {
	h := &c.Request().Header
	if h.IsGet() || h.IsHead() || h.IsOptions() {
		return nil
	}
	if o := h.Peek(fiber.HeaderOrigin); len(o) > 0 {
		if string(o) == p.originOf(s, prefix) {
			return nil
		}
		return &refuseCrossOrigin
	}
	switch string(h.Peek("Sec-Fetch-Site")) {
	case "cross-site", "same-site":
		return &refuseCrossOrigin
	}
	return nil
}

// originOf is the origin pages of s's app have: its own on an app host,
// the core's in path mode.
func (p *Proxy) originOf(s store.Session, prefix string) string {
	if prefix == "" {
		return p.appOrigin(s.ID)
	}
	return p.o.public
}
