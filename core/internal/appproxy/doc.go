// Package appproxy serves sessions' web apps (code-server, Jupyter…) to
// browsers: HTTP, streamed both ways, and WebSockets, over the session's
// runtime tunnel.
//
// Two modes, chosen by server { app_domain }:
//
//   - Origin isolation (app_domain set, e.g. "*.apps.example.com"): each
//     session's app lives on its own origin, {session}.apps.example.com.
//     The core's UI asks POST /api/v1/sessions/{id}/open for a single-use
//     token (OpenApp), the browser redeems it at /_atrium/auth on the app's
//     host, which sets a host-only app cookie bound to the user, the
//     session's instance and the login session. Nothing else works on an
//     app host: the core's API and UI are not served there, and the core's
//     own cookie (host-only on the core's host) never reaches it.
//   - Path mode (no app_domain): /apps/{session}/… on the core's own origin,
//     authenticated by the core's session cookie. It does NOT isolate: a
//     page of the app runs on the core's origin and can call the core's
//     API as the user. It exists for single-host trials.
//
// Everything a session sends back is attacker-controlled: response headers
// are sanitised (hop-by-hop dropped, Set-Cookie confined to the app's host
// or prefix, Atrium's cookie names refused), and the upstream is fixed by
// the session the request authenticated for, never by the request's path.
package appproxy
