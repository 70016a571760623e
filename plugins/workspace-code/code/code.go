// Package code describes Atrium's "VS Code" workspace: a session is one
// container of the atrium/code image (images/code), whose code-server
// serves the editor over HTTP on port 8080 with the user's home as its
// folder. The core proxies the browser's HTTP and WebSocket traffic to that
// port and authenticates the user; code-server's own login is off.
package code

import (
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/workspace/httpapp"
)

// Version is the release of this plugin.
const Version = "0.1.0"

// The contract with the image, which images/code/entrypoint.sh implements.
const (
	// DefaultImage is the image sessions run unless a config block or the
	// request names another.
	DefaultImage = "atrium/code:1"
	// Port is where code-server listens inside the container.
	Port = 8080
	// ReadyPath answers 200 once code-server serves requests.
	ReadyPath = "/healthz"
	// EnvBasePath tells code-server the path browsers reach it under
	// (/apps/{session} in the core's path mode); unset at the root.
	EnvBasePath = "ATRIUM_BASE_PATH"
	// PortName, HomePath and User are every httpapp image's.
	PortName = httpapp.PortName
	HomePath = httpapp.HomePath
	User     = httpapp.User
)

// Spec is the VS Code web app.
var Spec = httpapp.Spec{
	Plugin:        plugin.Info{Name: "workspace-code", Version: Version, Description: "VS Code in the browser (code-server)"},
	DisplayName:   "VS Code",
	Description:   "Visual Studio Code in the browser (code-server), with your home folder kept between sessions.",
	DefaultImage:  DefaultImage,
	ImageContract: "it must follow the atrium/code contract (code-server on port 8080 without its own login, uid 1000, home /home/atrium).",
	Port:          Port,
	ReadyPath:     ReadyPath,
	// code-server's links are relative, so the proxy strips the base
	// path; the few absolute URLs it builds (--abs-proxy-base-path) need
	// it.
	BasePathEnv: EnvBasePath,
}

// New returns the workspace; the SDK calls Configure before anything else.
func New() *httpapp.Workspace { return httpapp.New(Spec) }
