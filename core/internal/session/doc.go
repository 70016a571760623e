// Package session owns the lifecycle of Atrium sessions: admitting them
// under quota (Manager), driving each one through its states by calling the
// runtime and workspace plugins (the reconciler in Manager.Run), and telling
// clients about changes of state (Watcher).
//
// The database is the only source of truth. Every state change is a
// compare-and-set transition that session_transitions allows; the work that
// calls a plugin for a session runs only while this core holds that
// session's PostgreSQL advisory lock, so several core replicas can run the
// reconciler together without starting a session twice. Nothing in a
// Manager's memory is the only copy of anything: a core that dies at any
// point leaves sessions in states the next core (or a peer) picks up, and
// runtime plugins are asked again (RecoverSession, ListSessions) what really
// runs.
package session
