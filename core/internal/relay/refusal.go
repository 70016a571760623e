package relay

import (
	"encoding/json"
	"net/http"

	"github.com/gofiber/fiber/v2"
)

// problemBase prefixes the problem types the relay refuses with; it matches
// the API's, so clients switch on one namespace.
const problemBase = "https://atrium.dev/problems/"

// Refusal is why the relay answered an upgrade request with a plain HTTP
// error instead of a WebSocket. Type is a stable slug clients may switch on.
type Refusal struct {
	Status int
	Type   string
	Detail string
}

// The refusals the handler produces.
var (
	refuseNotWebSocket    = Refusal{http.StatusUpgradeRequired, "relay-not-websocket", "this endpoint only accepts WebSocket upgrade requests"}
	refuseOrigin          = Refusal{http.StatusForbidden, "relay-origin", "the request's Origin is not one this server accepts; open the desktop from the Atrium UI"}
	refuseSubprotocol     = Refusal{http.StatusBadRequest, "relay-subprotocol", `the client must offer the "binary" WebSocket subprotocol`}
	refuseNoTicket        = Refusal{http.StatusUnauthorized, "relay-ticket-missing", "no relay ticket; ask the API for one and pass it as ?ticket="}
	refuseTicket          = Refusal{http.StatusUnauthorized, "relay-ticket-invalid", "the relay ticket is unknown, used or expired; ask the API for a new one"}
	refuseTicketSession   = Refusal{http.StatusForbidden, "relay-ticket-session", "the relay ticket was issued for another session"}
	refuseTicketInstance  = Refusal{http.StatusConflict, "relay-session-restarted", "the session restarted since the ticket was issued; ask the API for a new one"}
	refuseSessionGone     = Refusal{http.StatusConflict, "relay-session-not-running", "the session is not running"}
	refuseUpstream        = Refusal{http.StatusBadGateway, "relay-upstream", "the session's display could not be reached; the error is in the server log"}
	refuseTicketStore     = Refusal{http.StatusServiceUnavailable, "relay-ticket-store", "relay tickets cannot be checked right now; try again"}
	refuseHandshakeFailed = Refusal{http.StatusBadRequest, "relay-handshake", "the WebSocket handshake is invalid"}
	refuseUserRelays      = Refusal{http.StatusTooManyRequests, "relay-user-limit", "you have as many desktops open on this server as it allows; close one and try again"}
	refuseUpgrades        = Refusal{http.StatusTooManyRequests, "relay-rate-limited", "too many relay requests from your address; wait the Retry-After seconds"}
	refuseBadTickets      = Refusal{http.StatusTooManyRequests, "relay-ticket-rate-limited", "too many invalid relay tickets from your address; wait the Retry-After seconds, then ask the API for a new ticket"}
	refuseCoreRelays      = Refusal{http.StatusServiceUnavailable, "relay-server-limit", "this server carries as many desktops as it allows; try again shortly"}
)

// problem is the RFC 9457 body of a refusal.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// WriteProblem is the default refusal writer: status plus an
// application/problem+json body.
func WriteProblem(c *fiber.Ctx, r Refusal) error {
	body, err := json.Marshal(problem{
		Type:     problemBase + r.Type,
		Title:    http.StatusText(r.Status),
		Status:   r.Status,
		Detail:   r.Detail,
		Instance: c.Path(),
	})
	if err != nil {
		return err
	}
	c.Status(r.Status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.Send(body)
}
