package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/hashicorp/go-hclog"
	"github.com/valyala/fasthttp"

	"github.com/atrium-hq/atrium/core/internal/metrics"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/ratelimit"
)

// Subprotocol is the only WebSocket subprotocol the relay speaks: noVNC's
// binary framing.
const Subprotocol = "binary"

// ErrSessionNotRunning is what a Lookup returns for a session that has no
// running instance; the handler answers 409.
var ErrSessionNotRunning = errors.New("session is not running")

// ErrUpstreamBusy is what a Dial returns (wrapped) when the session's
// server is too busy to take another connection now, e.g. with other
// handshakes; the handler answers 429 with Retry-After, since the client
// should come back shortly, not give up.
var ErrUpstreamBusy = errors.New("the session's server is busy")

// Upstream is how to reach a session's VNC port right now.
type Upstream struct {
	// InstanceID is the session's current instance; it must equal the
	// ticket's.
	InstanceID string
	// Dial connects to the session's VNC port, typically OpenTunnel and
	// DialTunnel. It is called only after every check has passed.
	Dial func(ctx context.Context) (net.Conn, error)
}

// HandlerOptions configure Handler. Tickets, AllowedOrigins, Lookup and
// Registry are required.
type HandlerOptions struct {
	// Tickets consumes the tickets browsers present.
	Tickets Tickets
	// AllowedOrigins lists the exact Origin values (scheme://host[:port])
	// allowed to open the relay. It must not be empty: an empty list would
	// otherwise mean every site may open a user's desktop.
	AllowedOrigins []string
	// Lookup returns how to reach the session now. It is called only after
	// the ticket has been consumed and matched to the session.
	Lookup func(ctx context.Context, sessionID string) (Upstream, error)
	// Registry tracks the relays the handler starts.
	Registry *Registry
	// Logger receives one line per refusal and per ended relay; nil
	// discards. Tickets are never logged.
	Logger hclog.Logger
	// Relay tunes each relay.
	Relay Options
	// SessionParam names the route parameter holding the session id;
	// default "session".
	SessionParam string
	// DialTimeout bounds Lookup and Dial together; default 10 s.
	DialTimeout time.Duration
	// Refuse writes a refusal; default WriteProblem. The API passes its own
	// to share its problem format.
	Refuse func(c *fiber.Ctx, r Refusal) error
	// MaxPerUser caps one user's live relays on this core; past it the
	// handler answers 429 with Retry-After. Default 8; negative: no cap.
	MaxPerUser int
	// MaxRelays caps this core's live relays; past it the handler
	// answers 503 with Retry-After. Default 2000; negative: no cap.
	MaxRelays int
	// Upgrades limits upgrade requests per client address (each may
	// consume a ticket and dial a session). Default: a burst of 120, one
	// more every 100 ms.
	Upgrades *ratelimit.Limiter
	// BadTickets limits invalid tickets per client address: each costs a
	// database round trip, and a client that keeps guessing is answered
	// 429 before the next one. Default: a burst of 20, one more every 3 s.
	BadTickets *ratelimit.Limiter
	// Greet, when set, speaks to the browser after the upgrade and before
	// the pump starts, within DialTimeout — e.g. the server side of an RFB
	// handshake whose authentication the core already did upstream.
	Greet func(rw io.ReadWriter) error
	// Metrics counts refusals and ended streams; nil counts nothing.
	Metrics *metrics.Relay
}

// handler is the state behind the Fiber handler.
type handler struct {
	HandlerOptions
	origins  map[string]struct{}
	upgrader websocket.FastHTTPUpgrader
}

// Handler returns the Fiber handler that opens a relay for
// GET …/:session?ticket=…. Before any upgrade, and before the session is
// dialed, it checks the request is a WebSocket upgrade, the Origin is
// exactly one of AllowedOrigins, the client offers the "binary"
// subprotocol, and the ticket is valid for this session's current
// instance. Every refusal is a plain HTTP response.
func Handler(o HandlerOptions) (fiber.Handler, error) {
	switch {
	case o.Tickets == nil:
		return nil, errors.New("relay handler: no Tickets; pass the store's ticket implementation")
	case o.Lookup == nil:
		return nil, errors.New("relay handler: no Lookup; pass the session service's lookup")
	case o.Registry == nil:
		return nil, errors.New("relay handler: no Registry; create one with NewRegistry and close it on shutdown")
	case len(o.AllowedOrigins) == 0:
		return nil, errors.New("relay handler: AllowedOrigins is empty; list the UI's origins (e.g. https://atrium.example.com), since an empty list must not mean every origin")
	}
	ro, err := o.Relay.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("relay handler: %w", err)
	}
	o.Relay = ro
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.SessionParam == "" {
		o.SessionParam = "session"
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.Refuse == nil {
		o.Refuse = WriteProblem
	}
	if o.Upgrades == nil {
		o.Upgrades = ratelimit.New(100*time.Millisecond, 120)
	}
	if o.BadTickets == nil {
		o.BadTickets = ratelimit.New(3*time.Second, 20)
	}
	if o.MaxPerUser == 0 {
		o.MaxPerUser = 8
	}
	if o.MaxRelays == 0 {
		o.MaxRelays = 2000
	}
	h := &handler{HandlerOptions: o, origins: make(map[string]struct{}, len(o.AllowedOrigins))}
	for _, origin := range o.AllowedOrigins {
		if origin == "" || origin == "*" || origin == "null" {
			return nil, fmt.Errorf("relay handler: AllowedOrigins holds %q; list exact origins such as https://atrium.example.com", origin)
		}
		h.origins[origin] = struct{}{}
	}
	h.upgrader = websocket.FastHTTPUpgrader{
		HandshakeTimeout: o.DialTimeout,
		ReadBufferSize:   ro.ReadBufferSize,
		WriteBufferSize:  ro.BufferSize,
		WriteBufferPool:  wsWritePool(ro.BufferSize),
		Subprotocols:     []string{Subprotocol},
		// Defence in depth: the handler has already checked the Origin.
		CheckOrigin: func(ctx *fasthttp.RequestCtx) bool {
			return h.originAllowed(string(ctx.Request.Header.Peek(fiber.HeaderOrigin)))
		},
		Error: func(ctx *fasthttp.RequestCtx, status int, reason error) {
			problem.WriteCtx(ctx, problem.New(status, refuseHandshakeFailed.Type, refuseHandshakeFailed.Detail))
		},
	}
	return h.serve, nil
}

func (h *handler) originAllowed(origin string) bool {
	if origin == "" {
		return false
	}
	_, ok := h.origins[origin]
	return ok
}

// offersBinary reports whether the Sec-WebSocket-Protocol header lists
// "binary".
func offersBinary(header string) bool {
	for p := range strings.SplitSeq(header, ",") {
		if strings.TrimSpace(p) == Subprotocol {
			return true
		}
	}
	return false
}

func (h *handler) refuse(c *fiber.Ctx, r Refusal, sessionID string, cause error) error {
	args := []any{"status", r.Status, "reason", r.Type, "session", sessionID, "remote", c.IP()}
	if cause != nil {
		args = append(args, "error", cause)
	}
	h.Logger.Info("relay refused", args...)
	h.Metrics.Refused(r.reason())
	return h.Refuse(c, r)
}

func (h *handler) serve(c *fiber.Ctx) error {
	// Fiber's strings point into fasthttp's request buffer, which is reused
	// once the handler returns; the relay outlives it.
	sessionID := strings.Clone(c.Params(h.SessionParam))
	if !websocket.FastHTTPIsWebSocketUpgrade(c.Context()) || c.Method() != fiber.MethodGet {
		return h.refuse(c, refuseNotWebSocket, sessionID, nil)
	}
	if !h.originAllowed(c.Get(fiber.HeaderOrigin)) {
		return h.refuse(c, refuseOrigin, sessionID, nil)
	}
	if !offersBinary(c.Get(fiber.HeaderSecWebSocketProtocol)) {
		return h.refuse(c, refuseSubprotocol, sessionID, nil)
	}
	token := c.Query("ticket")
	if token == "" {
		return h.refuse(c, refuseNoTicket, sessionID, nil)
	}

	ip := c.IP()
	if out, wait := h.BadTickets.Exhausted(ip); out {
		c.Set(fiber.HeaderRetryAfter, ratelimit.RetryAfter(wait))
		return h.refuse(c, refuseBadTickets, sessionID, nil)
	}
	if ok, wait := h.Upgrades.Allow(ip); !ok {
		c.Set(fiber.HeaderRetryAfter, ratelimit.RetryAfter(wait))
		return h.refuse(c, refuseUpgrades, sessionID, nil)
	}

	ctx, cancel := context.WithTimeout(c.UserContext(), h.DialTimeout)
	defer cancel()
	t, err := h.Tickets.Consume(ctx, token)
	switch {
	case errors.Is(err, ErrTicketInvalid):
		h.BadTickets.Allow(ip)
		return h.refuse(c, refuseTicket, sessionID, nil)
	case err != nil:
		return h.refuse(c, refuseTicketStore, sessionID, err)
	case !time.Now().Before(t.ExpiresAt):
		return h.refuse(c, refuseTicket, sessionID, nil)
	case sessionID == "" || t.SessionID != sessionID:
		return h.refuse(c, refuseTicketSession, sessionID, nil)
	}
	// Caps are checked before the session is dialed. Two handshakes at
	// once may both pass: the caps bound resources, they are not exact.
	user, total := h.Registry.counts(t.UserID)
	switch {
	case h.MaxRelays > 0 && total >= h.MaxRelays:
		c.Set(fiber.HeaderRetryAfter, "10")
		return h.refuse(c, refuseCoreRelays, sessionID, nil)
	case h.MaxPerUser > 0 && user >= h.MaxPerUser:
		c.Set(fiber.HeaderRetryAfter, "30")
		return h.refuse(c, refuseUserRelays, sessionID, nil)
	}
	up, err := h.Lookup(ctx, sessionID)
	switch {
	case errors.Is(err, ErrSessionNotRunning):
		return h.refuse(c, refuseSessionGone, sessionID, nil)
	case err != nil:
		return h.refuse(c, refuseUpstream, sessionID, err)
	case up.InstanceID == "" || up.InstanceID != t.InstanceID:
		return h.refuse(c, refuseTicketInstance, sessionID, nil)
	case up.Dial == nil:
		return h.refuse(c, refuseUpstream, sessionID, errors.New("lookup returned no Dial"))
	}
	conn, err := up.Dial(ctx)
	switch {
	case errors.Is(err, ErrUpstreamBusy):
		c.Set(fiber.HeaderRetryAfter, "2")
		return h.refuse(c, refuseUpstreamBusy, sessionID, err)
	case err != nil:
		return h.refuse(c, refuseUpstream, sessionID, err)
	}
	return h.upgrade(c, conn, Owner{SessionID: sessionID, UserID: t.UserID, Grant: t.Grant})
}

// upgrade hands the request to the WebSocket upgrader. fasthttp runs the
// hijack only after the 101 response is written; if that write fails it
// never runs, so a timer closes the session connection in that case.
func (h *handler) upgrade(c *fiber.Ctx, conn net.Conn, owner Owner) error {
	var claimed atomic.Bool
	orphan := time.AfterFunc(h.DialTimeout, func() {
		if claimed.CompareAndSwap(false, true) {
			_ = conn.Close()
		}
	})
	err := h.upgrader.Upgrade(c.Context(), func(ws *websocket.Conn) {
		if !claimed.CompareAndSwap(false, true) {
			_ = ws.Close()
			return
		}
		orphan.Stop()
		h.run(ws, conn, owner)
	})
	if err != nil {
		orphan.Stop()
		if claimed.CompareAndSwap(false, true) {
			_ = conn.Close()
		}
		h.Logger.Info("relay handshake refused", "session", owner.SessionID, "error", err)
		h.Metrics.Refused(refuseHandshakeFailed.reason())
		return nil // the upgrader has written the response
	}
	return nil
}

func (h *handler) run(ws *websocket.Conn, conn net.Conn, owner Owner) {
	if h.Greet != nil {
		_ = ws.SetReadDeadline(time.Now().Add(h.DialTimeout))
		if err := h.greet(ws, conn); err != nil {
			_ = conn.Close()
			_ = ws.Close()
			h.Logger.Info("relay greeting failed", "session", owner.SessionID, "error", err)
			return
		}
		_ = ws.SetReadDeadline(time.Time{})
	}
	r, err := New(ws, conn, owner, h.Relay)
	if err != nil {
		_ = conn.Close()
		h.Logger.Error("relay not started", "session", owner.SessionID, "error", err)
		return
	}
	err = h.Registry.Run(r)
	st := r.Stats()
	h.Metrics.Ended(r.endReason(err), time.Since(st.Started))
	args := []any{"session", owner.SessionID, "user", owner.UserID,
		"to_session", st.BytesToUpstream, "to_browser", st.BytesToClient,
		"duration", time.Since(st.Started).Round(time.Millisecond)}
	if err != nil {
		h.Logger.Info("relay ended", append(args, "error", err)...)
		return
	}
	h.Logger.Debug("relay ended", args...)
}
