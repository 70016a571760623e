package relay

import (
	"errors"

	"github.com/fasthttp/websocket"
)

// The reasons a stream ends, as atrium_relay_streams_closed_total labels
// them: a fixed set, whatever the error says.
const (
	endNormal         = "normal"
	endSessionStopped = "session_stopped"
	endLoggedOut      = "logged_out"
	endShutdown       = "core_shutdown"
	endRevoked        = "revoked"
	endClosedByCore   = "closed_by_core"
	endProtocol       = "protocol"
	endTooLarge       = "message_too_large"
	endBrowserError   = "browser_error"
	endSessionError   = "session_error"
	endError          = "error"
)

// closeReasonOf names the reason behind a close text the core sends.
func closeReasonOf(text string) string {
	switch text {
	case reasonSessionStopped:
		return endSessionStopped
	case reasonLoggedOut:
		return endLoggedOut
	case reasonShutdown:
		return endShutdown
	case reasonRevoked:
		return endRevoked
	}
	return endClosedByCore
}

// endReason says why a relay that has returned from Run with err ended.
func (r *Relay) endReason(err error) string {
	if p := r.closedFor.Load(); p != nil {
		return *p
	}
	var ce *clientError
	var ue *upstreamError
	switch {
	case err == nil:
		return endNormal
	case errors.Is(err, errTextMessage):
		return endProtocol
	case errors.Is(err, websocket.ErrReadLimit):
		return endTooLarge
	case errors.As(err, &ce):
		return endBrowserError
	case errors.As(err, &ue):
		return endSessionError
	}
	return endError
}
