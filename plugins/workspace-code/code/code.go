// Package code implements Atrium's "VS Code" workspace: a session is one
// container of the atrium/code image (images/code), whose code-server
// serves the editor over HTTP on port 8080 with the user's home as its
// folder. The core proxies the browser's HTTP and WebSocket traffic to that
// port and authenticates the user; code-server's own login is off.
//
// The plugin only describes the workspace and builds launch specs; it keeps
// no state but its configuration.
package code

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

// The contract with the image, which images/code/entrypoint.sh implements.
const (
	// PortName names the HTTP port in Describe and launch specs.
	PortName = "http"
	// Port is where code-server listens inside the container.
	Port = 8080
	// ReadyPath answers 200 once code-server serves requests.
	ReadyPath = "/healthz"
	// HomePath is the home of the image's user, where the home volume is
	// mounted and the folder the editor opens.
	HomePath = "/home/atrium"
	// User is the image's user, uid and gid 1000; its home in the image
	// belongs to it, so a fresh Docker volume does too.
	User = "1000:1000"
)

// Workspace is the VS Code workspace. Create it with New.
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
		Name:        "workspace-code",
		Version:     Version,
		Description: "VS Code in the browser (code-server)",
	}
}

// ConfigSchema describes the plugin's config block.
func (w *Workspace) ConfigSchema() schema.Object {
	return configSchema()
}

// Configure checks the config block; attributes it leaves out keep their
// defaults.
func (w *Workspace) Configure(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	c, err := decodeConfig(req.Config, "workspace-code config")
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
// when code-server's health endpoint answers.
func (w *Workspace) Describe(context.Context, workspace.DescribeRequest) (workspace.DescribeResponse, error) {
	return workspace.DescribeResponse{
		Protocol:    workspace.ProtocolHTTP,
		Ports:       []launch.Port{{Name: PortName, Port: Port}},
		PrimaryPort: PortName,
		Readiness: workspace.Probe{
			Kind: workspace.ProbeHTTP,
			Port: PortName,
			Path: ReadyPath,
			// code-server answers a second or two after the container
			// starts; poll often enough that the user does not wait much
			// longer.
			Interval: 250 * time.Millisecond,
			Timeout:  2 * time.Second,
		},
		DisplayName: "VS Code",
		Description: "Visual Studio Code in the browser (code-server), with your home folder kept between sessions.",
	}, nil
}

// LaunchSpec builds the container for one session. The image is the
// request's override, else the template's, else the plugin's.
func (w *Workspace) LaunchSpec(_ context.Context, req workspace.LaunchSpecRequest) (workspace.LaunchSpecResponse, error) {
	tmpl, err := decodeConfig(req.TemplateConfig, "template config for workspace-code")
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
