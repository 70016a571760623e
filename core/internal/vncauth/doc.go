// Package vncauth lets the core, not the browser, hold a session's VNC
// password. The relay authenticates to the session's VNC server with the
// password the core generated at launch (Authenticate), then presents the
// browser a server that needs no password (Greet). The password never
// leaves the core: a leaked ticket buys one connection, never a reusable
// credential.
package vncauth
