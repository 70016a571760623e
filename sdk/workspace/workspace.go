// Package workspace is the SDK for workspace plugins, which describe a kind
// of workspace (a VNC desktop, VS Code, Jupyter) and what to launch for one
// session of it. The core asks a workspace plugin for a launch.Spec and hands
// it to a runtime plugin.
package workspace

import (
	"context"
	"encoding/json"
	"time"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// APIVersion is the major version of atrium.workspace.v1 this package
// speaks.
const APIVersion = 1

// Workspace is the interface a workspace plugin implements.
type Workspace interface {
	plugin.Plugin

	// Describe says how users reach the workspace and when it is ready.
	Describe(ctx context.Context, req DescribeRequest) (DescribeResponse, error)
	// LaunchSpec says what to run for one session.
	LaunchSpec(ctx context.Context, req LaunchSpecRequest) (LaunchSpecResponse, error)
}

// Protocol is how a browser reaches the workspace.
type Protocol string

// The protocols the core serves.
const (
	// ProtocolVNC: the core relays noVNC's WebSocket to the RFB port.
	ProtocolVNC Protocol = "vnc"
	// ProtocolHTTP: the core proxies HTTP and WebSocket to the app port.
	ProtocolHTTP Protocol = "http"
)

// ProbeKind is how the core tells that a session is ready.
type ProbeKind string

// The readiness probes the core runs.
const (
	// ProbeTCP: the port accepts a connection.
	ProbeTCP ProbeKind = "tcp"
	// ProbeRFB: the port answers with an RFB greeting.
	ProbeRFB ProbeKind = "rfb"
	// ProbeHTTP: GET Path answers with a status below 500.
	ProbeHTTP ProbeKind = "http"
)

// Probe is a readiness check the core runs through the session's tunnel.
type Probe struct {
	Kind ProbeKind
	// Port names one of the described ports.
	Port string
	// Path is the HTTP path for ProbeHTTP.
	Path string
	// Interval is the longest pause between two probes; zero means
	// 500 ms. The core probes sooner at first (20 ms after the first
	// failure, half as long again after each further one), since a
	// server usually answers within a second of its start.
	Interval time.Duration
	// Timeout bounds one probe, from the dial to the answer: an RFB probe
	// waits this long for the greeting, since a server may accept
	// connections before it greets. Zero means 5 s.
	Timeout time.Duration
}

// DescribeRequest is empty; it exists so the call can grow.
type DescribeRequest struct{}

// DescribeResponse describes the workspace.
type DescribeResponse struct {
	Protocol Protocol
	Ports    []launch.Port
	// PrimaryPort names the port users connect to.
	PrimaryPort string
	Readiness   Probe
	// Secrets lists the per-session secrets the core generates and passes
	// to LaunchSpec, e.g. "vnc_password".
	Secrets     []string
	DisplayName string
	Description string
	// UpstreamAuth, for an HTTP workspace, is a header the core's app proxy
	// sets on every request and WebSocket handshake it forwards to the app,
	// so the app can refuse whatever did not come through the proxy. Nil:
	// the proxy sets none.
	UpstreamAuth *UpstreamAuth
	// KeepBasePath says the app routes requests by their whole path under
	// the base path it was told (LaunchSpecRequest.AppBasePath), as
	// Jupyter's base_url does. By default the app proxy strips the base
	// path, for apps that only use relative links.
	KeepBasePath bool
}

// UpstreamAuth declares the header `Header: Prefix + <the session's Secret>`.
type UpstreamAuth struct {
	// Header is the field name, e.g. "Authorization". The core refuses
	// names it manages itself (Host, Cookie, framing, forwarding).
	Header string
	// Prefix goes before the secret's value, e.g. "token ".
	Prefix string
	// Secret names one of Secrets.
	Secret string
}

// LaunchSpecRequest asks for the spec of one session.
type LaunchSpecRequest struct {
	Session runtime.Session
	// TemplateConfig is the template's `config { }` block for this
	// workspace, as JSON.
	TemplateConfig json.RawMessage
	// Image overrides the workspace's default image when set.
	Image     string
	Resources launch.Resources
	// Secrets holds a fresh value for each name Describe listed.
	Secrets    map[string]string
	HomeVolume string
	// AppOrigin is the origin, scheme://host[:port], at which browsers
	// reach an HTTP workspace's app: an origin of its own
	// (https://{session}.apps.example.com) when the core isolates apps,
	// the core's own in path mode. Empty for other protocols and from
	// cores that predate it.
	AppOrigin string
	// AppBasePath is the path under AppOrigin at which the app lives,
	// starting and ending with "/": "/" on an origin of its own,
	// "/apps/{session}/" in path mode. Empty when AppOrigin is.
	AppBasePath string
}

// LaunchSpecResponse is what to run.
type LaunchSpecResponse struct {
	Spec launch.Spec
}
