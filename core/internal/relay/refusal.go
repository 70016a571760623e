package relay

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/problem"
)

// Refusal is why the relay answered an upgrade request with a plain HTTP
// error instead of a WebSocket. Type is a stable type clients may switch on.
type Refusal struct {
	Status int
	Type   problem.Type
	Detail string
}

// The refusals the handler produces.
var (
	refuseNotWebSocket    = Refusal{http.StatusUpgradeRequired, problem.RelayNotWebSocket, "this endpoint only accepts WebSocket upgrade requests"}
	refuseOrigin          = Refusal{http.StatusForbidden, problem.RelayOrigin, "the request's Origin is not one this server accepts; open the desktop from the Atrium UI"}
	refuseSubprotocol     = Refusal{http.StatusBadRequest, problem.RelaySubprotocol, `the client must offer the "binary" WebSocket subprotocol`}
	refuseNoTicket        = Refusal{http.StatusUnauthorized, problem.RelayTicketMissing, "no relay ticket; ask the API for one and pass it as ?ticket="}
	refuseTicket          = Refusal{http.StatusUnauthorized, problem.RelayTicketInvalid, "the relay ticket is unknown, used or expired; ask the API for a new one"}
	refuseTicketSession   = Refusal{http.StatusForbidden, problem.RelayTicketSession, "the relay ticket was issued for another session"}
	refuseTicketInstance  = Refusal{http.StatusConflict, problem.RelaySessionRestarted, "the session restarted since the ticket was issued; ask the API for a new one"}
	refuseSessionGone     = Refusal{http.StatusConflict, problem.RelaySessionNotRunning, "the session is not running"}
	refuseUpstream        = Refusal{http.StatusBadGateway, problem.RelayUpstream, "the session's display could not be reached; the error is in the server log"}
	refuseTicketStore     = Refusal{http.StatusServiceUnavailable, problem.RelayTicketStore, "relay tickets cannot be checked right now; try again"}
	refuseHandshakeFailed = Refusal{http.StatusBadRequest, problem.RelayHandshake, "the WebSocket handshake is invalid"}
	refuseUserRelays      = Refusal{http.StatusTooManyRequests, problem.RelayUserLimit, "you have as many desktops open on this server as it allows; close one and try again"}
	refuseUpgrades        = Refusal{http.StatusTooManyRequests, problem.RelayRateLimited, "too many relay requests from your address; wait the Retry-After seconds"}
	refuseBadTickets      = Refusal{http.StatusTooManyRequests, problem.RelayTicketRateLimited, "too many invalid relay tickets from your address; wait the Retry-After seconds, then ask the API for a new ticket"}
	refuseUpstreamBusy    = Refusal{http.StatusTooManyRequests, problem.RelayUpstreamBusy, "the session's display is busy with other connections; wait the Retry-After seconds and try again"}
	refuseCoreRelays      = Refusal{http.StatusServiceUnavailable, problem.RelayServerLimit, "this server carries as many desktops as it allows; try again shortly"}
)

// reason is the refusal's short name for metrics: its type without the
// "relay-" prefix, from a fixed set.
func (r Refusal) reason() string { return strings.TrimPrefix(r.Type.String(), "relay-") }

// WriteProblem is the default refusal writer: status plus an
// application/problem+json body.
func WriteProblem(c *fiber.Ctx, r Refusal) error {
	p := problem.New(r.Status, r.Type, r.Detail)
	p.Instance = c.Path()
	return problem.Write(c, p)
}
