// Package jupyter implements Atrium's "Jupyter" workspace: a session is one
// container of the atrium/jupyter image (images/jupyter), whose Jupyter
// Server serves the notebook interface, the REST API and the kernels'
// WebSockets over HTTP on port 8888, rooted at the user's home. The core
// proxies the browser's traffic to that port and authenticates the user;
// Jupyter's token is off.
//
// The plugin only describes the workspace and builds launch specs; it keeps
// no state but its configuration.
package jupyter

import (
	"context"
	"sync"
	"time"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// Version is the release of this plugin.
const Version = "0.1.0"

// The contract with the image, which images/jupyter/entrypoint.sh
// implements.
const (
	// PortName names the HTTP port in Describe and launch specs.
	PortName = "http"
	// Port is where Jupyter Server listens inside the container.
	Port = 8888
	// ReadyPath is the API's root: it answers 200 with the server's
	// version once the server handles requests, and needs no login.
	ReadyPath = "/api"
	// HomePath is the home of the image's user, where the home volume is
	// mounted and the notebooks' root folder.
	HomePath = "/home/atrium"
	// User is the image's user, uid and gid 1000; its home in the image
	// belongs to it, so a fresh Docker volume does too.
	User = "1000:1000"
)

// Workspace is the Jupyter workspace. Create it with New.
type Workspace struct {
	mu  sync.RWMutex
	cfg Config
}

var _ workspace.Workspace = (*Workspace)(nil)

// New returns the workspace with the default configuration; the SDK calls
// Configure before anything else.
func New() *Workspace {
	return &Workspace{cfg: defaults()}
}

// PluginInfo names the plugin.
func (w *Workspace) PluginInfo() plugin.Info {
	return plugin.Info{
		Name:        "workspace-jupyter",
		Version:     Version,
		Description: "Jupyter notebooks in the browser (Jupyter Server, classic notebook, IPython kernel)",
	}
}

// ConfigSchema describes the plugin's config block.
func (w *Workspace) ConfigSchema() schema.Object {
	return configSchema()
}

// Configure checks the config block; attributes it leaves out keep their
// defaults.
func (w *Workspace) Configure(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	c, err := decodeConfig(req.Config, "workspace-jupyter config")
	if err != nil {
		return plugin.ConfigureResponse{}, err
	}
	c = defaults().overlay(c)
	w.mu.Lock()
	w.cfg = c
	w.mu.Unlock()
	plugin.Logger().Debug("configured", "image", c.Image)
	return plugin.ConfigureResponse{}, nil
}

// Describe says that sessions serve HTTP on the "http" port and are ready
// when the Jupyter API answers.
func (w *Workspace) Describe(context.Context, workspace.DescribeRequest) (workspace.DescribeResponse, error) {
	return workspace.DescribeResponse{
		Protocol:    workspace.ProtocolHTTP,
		Ports:       []launch.Port{{Name: PortName, Port: Port}},
		PrimaryPort: PortName,
		Readiness: workspace.Probe{
			Kind: workspace.ProbeHTTP,
			Port: PortName,
			Path: ReadyPath,
			// Jupyter Server answers a second or so after the container
			// starts; poll often enough that the user does not wait much
			// longer.
			Interval: 250 * time.Millisecond,
			Timeout:  2 * time.Second,
		},
		DisplayName: "Jupyter",
		Description: "Jupyter notebooks with a Python 3 kernel, with your home folder kept between sessions.",
	}, nil
}

// LaunchSpec builds the container for one session. The image is the
// request's override, else the template's, else the plugin's.
func (w *Workspace) LaunchSpec(_ context.Context, req workspace.LaunchSpecRequest) (workspace.LaunchSpecResponse, error) {
	tmpl, err := decodeConfig(req.TemplateConfig, "template config for workspace-jupyter")
	if err != nil {
		return workspace.LaunchSpecResponse{}, err
	}
	w.mu.RLock()
	c := w.cfg.overlay(tmpl)
	w.mu.RUnlock()
	if req.Image != "" {
		c.Image = req.Image
	}
	spec := launch.Spec{
		Image:      c.Image,
		Resources:  req.Resources,
		Ports:      []launch.Port{{Name: PortName, Port: Port}},
		HomePath:   HomePath,
		HomeVolume: req.HomeVolume,
		User:       User,
		WorkingDir: HomePath,
	}
	plugin.Logger().Debug("launch spec", "session", req.Session.ID, "image", spec.Image)
	return workspace.LaunchSpecResponse{Spec: spec}, nil
}
