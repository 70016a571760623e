// Package relay streams a browser's noVNC WebSocket to a session's VNC
// server.
//
// The pieces, each in its own file:
//   - Relay (relay.go, pump_*.go): copies bytes both ways between one
//     server-side WebSocket and one upstream net.Conn, with reused buffers,
//     backpressure, ping deadlines, close propagation and live counters.
//   - Registry (registry.go): every live relay of this core, so session stop,
//     logout and shutdown can end them.
//   - DialTunnel (dial.go): turns a runtime plugin's tunnel into a net.Conn,
//     dialing endpoints only inside the runtime's configured networks.
//   - Tickets (tickets.go): the single-use tickets a browser presents to open
//     the relay; the store that keeps them lives elsewhere.
//   - Handler (handler.go): the Fiber handler that checks ticket, Origin and
//     subprotocol before upgrading, then runs a Relay.
//
// Everything a session sends back is attacker-controlled input: the relay
// never interprets upstream bytes, it only bounds and forwards them.
package relay
