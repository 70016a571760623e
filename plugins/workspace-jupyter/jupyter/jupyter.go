// Package jupyter describes Atrium's "Jupyter" workspace: a session is one
// container of the atrium/jupyter image (images/jupyter), whose Jupyter
// Server serves the notebook interface, the REST API and the kernels'
// WebSockets over HTTP on port 8888, rooted at the user's home. The core
// proxies the browser's traffic to that port and authenticates the user.
// Jupyter also requires a per-session token, which only the core's proxy
// presents, so nothing that reaches the port by another way gets in.
package jupyter

import (
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/workspace/httpapp"
)

// Version is the release of this plugin.
const Version = "0.1.0"

// The contract with the image, which images/jupyter/entrypoint.sh
// implements.
const (
	// DefaultImage is the image sessions run unless a config block or the
	// request names another.
	DefaultImage = "atrium/jupyter:1"
	// Port is where Jupyter Server listens inside the container.
	Port = 8888
	// ReadyPath is the API's root: it answers 200 with the server's
	// version once the server handles requests, and needs no login.
	ReadyPath = "/api"
	// EnvBasePath tells Jupyter its base_url, the path browsers reach it
	// under (/apps/{session} in the core's path mode); unset at the root.
	EnvBasePath = "ATRIUM_BASE_PATH"
	// EnvAllowOrigin is the origin browsers reach it at, Jupyter's
	// allow_origin: token-authenticated requests would otherwise be
	// answered with CORS for any origin.
	EnvAllowOrigin = "ATRIUM_ALLOW_ORIGIN"
	// EnvToken carries the session's token, which Jupyter requires on
	// every request but /api; the entrypoint removes it from the
	// environment before starting Jupyter.
	EnvToken = "ATRIUM_JUPYTER_TOKEN"
	// PortName, HomePath and User are every httpapp image's.
	PortName = httpapp.PortName
	HomePath = httpapp.HomePath
	User     = httpapp.User
)

// Spec is the Jupyter web app.
var Spec = httpapp.Spec{
	Plugin: plugin.Info{Name: "workspace-jupyter", Version: Version,
		Description: "Jupyter notebooks in the browser (Jupyter Server, classic notebook, IPython kernel)"},
	DisplayName:   "Jupyter",
	Description:   "Jupyter notebooks with a Python 3 kernel, with your home folder kept between sessions.",
	DefaultImage:  DefaultImage,
	ImageContract: "it must follow the atrium/jupyter contract (Jupyter Server on port 8888 under $ATRIUM_BASE_PATH, requiring the token in $ATRIUM_JUPYTER_TOKEN, uid 1000, home /home/atrium).",
	Port:          Port,
	ReadyPath:     ReadyPath,
	// Jupyter builds absolute links from its base_url and routes by it.
	BasePathEnv:  EnvBasePath,
	KeepBasePath: true,
	OriginEnv:    EnvAllowOrigin,
	Token:        &httpapp.Token{Env: EnvToken, Header: "Authorization", Prefix: "token "},
}

// New returns the workspace; the SDK calls Configure before anything else.
func New() *httpapp.Workspace { return httpapp.New(Spec) }
