package appproxy

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/problem"
)

// refusal is one way the proxy says no, written as problem+json. The proxy
// writes its own refusals rather than returning errors, so an app host's
// answers never depend on the core API's error handler.
type refusal struct {
	status int
	typ    problem.Type
	detail string
}

var (
	refuseNoSuchApp     = refusal{http.StatusNotFound, problem.NoSuchApp, "this host names no session's app"}
	refuseNotLoggedIn   = refusal{http.StatusUnauthorized, problem.AppUnauthed, "open this app from Atrium's session list; the link logs you in to it"}
	refuseToken         = refusal{http.StatusForbidden, problem.AppToken, "the link is unknown, used, expired, or for another app; open the app again from Atrium"}
	refuseNotRunning    = refusal{http.StatusConflict, problem.NotRunning, "the session is not running; start it from Atrium"}
	refuseNotHTTP       = refusal{http.StatusConflict, problem.NotAnApp, "the session's workspace is not a web app"}
	refuseUpstream      = refusal{http.StatusBadGateway, problem.AppUnreachable, "the session's app did not answer; it may be starting or have crashed"}
	refuseBusy          = refusal{http.StatusServiceUnavailable, problem.AppBusy, "the session's app has too many requests in flight; retry shortly"}
	refuseTarget        = refusal{http.StatusBadRequest, problem.BadRequestTarget, "the request target must be a path (origin-form)"}
	refuseFraming       = refusal{http.StatusBadRequest, problem.BadFraming, "the request's Content-Length and Transfer-Encoding headers are ambiguous"}
	refuseTooLarge      = refusal{http.StatusRequestEntityTooLarge, problem.TooLarge, "the request body is larger than this server accepts"}
	refuseUpgrades      = refusal{http.StatusTooManyRequests, problem.RateLimited, "too many WebSocket upgrades from your address; wait the Retry-After seconds"}
	refuseOrigin        = refusal{http.StatusForbidden, problem.BadOrigin, "the WebSocket's Origin is not this app's origin"}
	refuseStore         = refusal{http.StatusServiceUnavailable, problem.Unavailable, "the server could not check your access; retry shortly"}
	refuseWebSocketDial = refusal{http.StatusBadGateway, problem.AppWebSocket, "the session's app refused the WebSocket"}
	refuseCrossOrigin   = refusal{http.StatusForbidden, problem.CrossOrigin, "a page of another origin may not send this request to the app"}
	refuseAppSetup      = refusal{http.StatusServiceUnavailable, problem.AppUnavailable, "Atrium could not learn how to reach the session's app; retry shortly"}
)

// refuse answers r.
func refuse(c *fiber.Ctx, r refusal) error { return problem.Write(c, r.problem()) }

func (r refusal) problem() *problem.Problem { return problem.New(r.status, r.typ, r.detail) }
