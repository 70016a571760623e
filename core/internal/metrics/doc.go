// Package metrics owns the core's Prometheus registry and every metric the
// core exports. Consumers get typed handles (Sessions, Relay, Apps, API,
// Logins), whose methods are safe on a nil handle so a component built
// without metrics (most tests) needs no stub; state that already lives
// elsewhere (live relays, the session table, plugins, the database pool) is
// read at scrape time through functions the server hands in.
//
// Labels are bounded by construction: templates, runtimes, plugins and
// auth methods come from the configuration, states, phases and reasons
// from fixed lists in the code, routes from the registered patterns, and
// HTTP statuses are reduced to their class. No label ever carries a
// session, user or address.
package metrics
