// Package wsclose holds the close reasons the core's WebSockets (desktop
// relays, app WebSockets) end with when the reason matters to the client.
// The web UI matches these strings, so they are part of the core's API:
// change one only together with web/src.
package wsclose

// CoreRestarting goes with code 1001 (going away) when a core drains
// before it stops, as in a rolling restart. The session keeps running, so
// the web UI reconnects at once, without a click, through whichever
// replica answers.
const CoreRestarting = "core restarting"
