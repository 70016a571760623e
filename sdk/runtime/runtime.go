// Package runtime is the SDK for runtime plugins, which run Atrium sessions
// as containers, pods or processes.
//
// A runtime plugin holds no state that matters: everything it creates is
// labelled with the session's id, and the core stores the opaque Handle that
// StartSession returns. After a crash or an upgrade the core launches a fresh
// plugin process and calls RecoverSession with each stored handle.
//
// Session bytes never travel over the plugin's gRPC connection. Implement
// EndpointTunneler to hand the core an address it dials itself, or Dialer to
// return a net.Conn from Go code, which the SDK exposes to the core as a
// token-guarded unix socket. A runtime must implement at least one of them:
// the core refuses to start a runtime plugin that offers no tunnel.
//
// An endpoint is a literal IP address and port ("172.30.0.5:5900",
// "[fd00::5]:5900"), never a host name: the core resolves nothing, so a
// session cannot be pointed at a name an attacker controls. The core dials
// it only when the IP lies inside the networks the deployment configured
// for the runtime (`runtime "x" { networks = ["172.30.0.0/16"] }`), so
// return the session's own address on the network the runtime owns, not a
// published host port on 127.0.0.1 unless loopback is listed there too.
package runtime

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
)

// APIVersion is the major version of atrium.runtime.v1 this package speaks.
const APIVersion = 1

// Runtime is the interface a runtime plugin implements.
type Runtime interface {
	plugin.Plugin

	// StartSession creates and starts everything the session needs and
	// returns a Handle the core stores. It must be safe to call again for
	// the same session id after a failure: reuse or replace what exists.
	StartSession(ctx context.Context, req StartRequest) (StartResponse, error)
	// RecoverSession is called by a fresh plugin process with a Handle an
	// earlier process returned. It reports the session's status; a session
	// that no longer exists reports StateMissing, not an error.
	RecoverSession(ctx context.Context, req RecoverRequest) (RecoverResponse, error)
	// StopSession stops the session's process and removes it, keeping the
	// home volume.
	StopSession(ctx context.Context, req StopRequest) (StopResponse, error)
	// HibernateSession stops the session's process but keeps it, so that
	// ResumeSession starts it again as it was.
	HibernateSession(ctx context.Context, req HibernateRequest) (HibernateResponse, error)
	// ResumeSession starts a hibernated session again.
	ResumeSession(ctx context.Context, req ResumeRequest) (ResumeResponse, error)
	// DestroySession removes everything of the session, and its home volume
	// when RemoveHome is set. It is the only call that removes storage. It
	// succeeds when there is nothing left to remove.
	DestroySession(ctx context.Context, req DestroyRequest) (DestroyResponse, error)
	// InspectSession reports the session's status.
	InspectSession(ctx context.Context, req InspectRequest) (InspectResponse, error)
	// ListSessions lists the sessions whose labels match, so the core can
	// converge its records with what really runs.
	ListSessions(ctx context.Context, req ListRequest) (ListResponse, error)
}

// EventWatcher is implemented by runtimes that report what happens to
// sessions outside the core's calls, such as a container that dies.
type EventWatcher interface {
	// WatchEvents sends events until ctx ends. It returns when ctx ends or
	// the event source fails; the core calls it again after a failure.
	WatchEvents(ctx context.Context, send func(Event) error) error
}

// EndpointTunneler is implemented by runtimes whose sessions the core can
// dial itself, such as containers on a network the core reaches. Live
// streams then survive a plugin crash or upgrade.
type EndpointTunneler interface {
	// TunnelEndpoint returns the address the core dials: a literal
	// "IP:port", never a host name. The core dials it only when the IP lies
	// inside the networks configured for the runtime and the endpoint is
	// one of the Status.Addresses last reported for that session, and
	// refuses the tunnel otherwise. Return ErrNoEndpoint to fall back to
	// Dialer.
	TunnelEndpoint(ctx context.Context, req TunnelRequest) (TunnelEndpointResponse, error)
}

// Dialer is implemented by runtimes that reach a session's port from Go
// code, such as a Kubernetes port-forward or an SSH hop. The SDK serves each
// connection to the core through a unix socket guarded by a one-time token
// and copies bytes between the two. ctx bounds only the dial: the returned
// connection must outlive it.
type Dialer interface {
	Dial(ctx context.Context, req TunnelRequest) (net.Conn, error)
}

// ErrNoEndpoint is returned by TunnelEndpoint when the session cannot be
// reached by address, e.g. because the runtime is configured for socket
// tunnels.
var ErrNoEndpoint = errors.New("runtime: no endpoint for this session")

// ErrSessionNotFound is returned by calls that need the session to exist.
var ErrSessionNotFound = errors.New("runtime: session not found")

// Session identifies a session to the runtime.
type Session struct {
	ID       string
	UserID   string
	OrgID    string
	Template string
	// Labels must be attached to everything the runtime creates for the
	// session; ListSessions filters by them.
	Labels map[string]string
}

// Handle is the runtime's opaque reference to a session. Version lets a
// newer plugin read handles an older one wrote.
type Handle struct {
	Version uint32
	Data    []byte
}

// State is a session's state as the runtime sees it.
type State int

// The states a runtime reports.
const (
	StateUnknown State = iota
	// StateStarting: created, not yet running.
	StateStarting
	// StateRunning: the session's process runs.
	StateRunning
	// StateStopped: the session exists but does not run (hibernated); it
	// can be resumed.
	StateStopped
	// StateExited: the session's process ended on its own.
	StateExited
	// StateMissing: the runtime has no trace of the session.
	StateMissing
)

// String names the state.
func (s State) String() string {
	switch s {
	case StateStarting:
		return "starting"
	case StateRunning:
		return "running"
	case StateStopped:
		return "stopped"
	case StateExited:
		return "exited"
	case StateMissing:
		return "missing"
	default:
		return "unknown"
	}
}

// Status is a session's status as the runtime sees it.
type Status struct {
	State State
	// InstanceID changes each time the session's process is (re)started,
	// e.g. a container id plus its start time.
	InstanceID string
	// Message explains the state, e.g. an exit reason.
	Message   string
	ExitCode  int
	StartedAt time.Time
	// Addresses are the session's own addresses on the runtime's network,
	// each a literal IP (every port on it belongs to the session) or
	// IP:port (only that port does). Report them whenever the session
	// runs: the core records them at start, resume and recovery, and dials
	// a TunnelEndpoint answer only if it matches one of the addresses
	// recorded for that session, so a plugin cannot point the core at
	// another session. Runtimes that offer only Dialer may leave it empty.
	Addresses []string
}

// StartRequest asks the runtime to start a session.
type StartRequest struct {
	Session Session
	Spec    launch.Spec
	// Progress reports the start's phases to the core while StartSession
	// runs; see Phase. It is never nil in a plugin (a no-op when the core
	// takes no progress), is safe for concurrent use, and does nothing once
	// StartSession has returned. On the host it may be nil.
	Progress func(Progress)
}

// StartResponse returns the handle the core stores.
type StartResponse struct {
	Handle Handle
	Status Status
}

// RecoverRequest hands a fresh plugin process a stored handle.
type RecoverRequest struct {
	SessionID string
	Handle    Handle
}

// RecoverResponse reports the recovered session.
type RecoverResponse struct {
	// Handle replaces the stored handle when its Version is non-zero.
	Handle Handle
	Status Status
}

// StopRequest asks the runtime to stop a session, keeping storage.
type StopRequest struct {
	SessionID string
	Handle    Handle
	// Timeout is how long the session's process gets to exit before it is
	// killed; zero means the runtime's default.
	Timeout time.Duration
}

// StopResponse is empty; it exists so the call can grow.
type StopResponse struct{}

// HibernateRequest asks the runtime to stop a session but keep it.
type HibernateRequest struct {
	SessionID string
	Handle    Handle
}

// HibernateResponse is empty; it exists so the call can grow.
type HibernateResponse struct{}

// ResumeRequest asks the runtime to start a hibernated session.
type ResumeRequest struct {
	SessionID string
	Handle    Handle
	// Progress reports the resume's phases, as StartRequest.Progress does
	// for a start.
	Progress func(Progress)
}

// ResumeResponse reports the resumed session.
type ResumeResponse struct {
	// Handle replaces the stored handle when its Version is non-zero.
	Handle Handle
	Status Status
}

// DestroyRequest asks the runtime to remove a session.
type DestroyRequest struct {
	SessionID string
	Handle    Handle
	// RemoveHome also removes HomeVolume.
	RemoveHome bool
	HomeVolume string
}

// DestroyResponse is empty; it exists so the call can grow.
type DestroyResponse struct{}

// InspectRequest asks for a session's status.
type InspectRequest struct {
	SessionID string
	Handle    Handle
}

// InspectResponse reports a session's status.
type InspectResponse struct {
	Status Status
}

// ListRequest lists sessions whose labels all match.
type ListRequest struct {
	Labels map[string]string
}

// ListedSession is one session ListSessions found.
type ListedSession struct {
	SessionID string
	Handle    Handle
	Status    Status
	Labels    map[string]string
}

// ListResponse lists sessions.
type ListResponse struct {
	Sessions []ListedSession
}

// Event reports a change the runtime saw.
type Event struct {
	SessionID string
	Status    Status
	Time      time.Time
}

// TunnelRequest names one port of one session.
type TunnelRequest struct {
	SessionID string
	Handle    Handle
	Port      int
}

// TunnelEndpointResponse is an address the core dials.
type TunnelEndpointResponse struct {
	// Address is a literal IP address and port, "172.30.0.5:5900" or
	// "[fd00::5]:5900". A host name is refused by the SDK before it reaches
	// the core, which never resolves names; an IP outside the runtime's
	// configured networks is refused by the core.
	Address string
}
