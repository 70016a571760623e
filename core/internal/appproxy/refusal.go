package appproxy

import (
	"encoding/json"
	"net/http"

	"github.com/gofiber/fiber/v2"
)

// problemBase prefixes problem types, as in the core's API.
const problemBase = "https://atrium.dev/problems/"

// refusal is one way the proxy says no, written as problem+json. The proxy
// writes its own refusals rather than returning errors, so an app host's
// answers never depend on the core API's error handler.
type refusal struct {
	status int
	typ    string
	detail string
}

var (
	refuseNoSuchApp     = refusal{http.StatusNotFound, "no-such-app", "this host names no session's app"}
	refuseNotLoggedIn   = refusal{http.StatusUnauthorized, "app-unauthenticated", "open this app from Atrium's session list; the link logs you in to it"}
	refuseToken         = refusal{http.StatusForbidden, "app-token", "the link is unknown, used, expired, or for another app; open the app again from Atrium"}
	refuseNotRunning    = refusal{http.StatusConflict, "not-running", "the session is not running; start it from Atrium"}
	refuseNotHTTP       = refusal{http.StatusConflict, "not-an-app", "the session's workspace is not a web app"}
	refuseUpstream      = refusal{http.StatusBadGateway, "app-unreachable", "the session's app did not answer; it may be starting or have crashed"}
	refuseBusy          = refusal{http.StatusServiceUnavailable, "app-busy", "the session's app has too many requests in flight; retry shortly"}
	refuseTarget        = refusal{http.StatusBadRequest, "bad-request-target", "the request target must be a path (origin-form)"}
	refuseFraming       = refusal{http.StatusBadRequest, "bad-framing", "the request's Content-Length and Transfer-Encoding headers are ambiguous"}
	refuseTooLarge      = refusal{http.StatusRequestEntityTooLarge, "too-large", "the request body is larger than this server accepts"}
	refuseUpgrades      = refusal{http.StatusTooManyRequests, "rate-limited", "too many WebSocket upgrades from your address; wait the Retry-After seconds"}
	refuseOrigin        = refusal{http.StatusForbidden, "bad-origin", "the WebSocket's Origin is not this app's origin"}
	refuseStore         = refusal{http.StatusServiceUnavailable, "unavailable", "the server could not check your access; retry shortly"}
	refuseWebSocketDial = refusal{http.StatusBadGateway, "app-websocket", "the session's app refused the WebSocket"}
	refuseCrossOrigin   = refusal{http.StatusForbidden, "cross-origin", "a page of another origin may not send this request to the app"}
	refuseAppSetup      = refusal{http.StatusServiceUnavailable, "app-unavailable", "Atrium could not learn how to reach the session's app; retry shortly"}
)

func refuse(c *fiber.Ctx, r refusal, extra map[string]string) error {
	body := map[string]any{"type": problemBase + r.typ, "title": http.StatusText(r.status), "status": r.status, "detail": r.detail}
	for k, v := range extra {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	c.Status(r.status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}
