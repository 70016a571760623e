// Package vnc implements Atrium's "Linux desktop" workspace: a session is
// one container of the atrium/desktop image (images/desktop), whose Xvnc
// serves the desktop on port 5900 behind a per-session VNC password. The
// core relays the browser's noVNC WebSocket to that port.
//
// The plugin only describes the workspace and builds launch specs; it keeps
// no state but its configuration.
package vnc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// Version is the release of this plugin.
const Version = "0.1.0"

// The contract with the desktop image, which images/desktop/entrypoint.sh
// implements.
const (
	// PortName names the RFB port in Describe and launch specs.
	PortName = "vnc"
	// Port is where Xvnc listens inside the container.
	Port = 5900
	// SecretPassword is the per-session secret the core generates; only
	// its first 8 bytes matter to VNC authentication.
	SecretPassword = "vnc_password"
	// EnvPassword carries the password into the container. The entrypoint
	// turns it into a password file and unsets it.
	EnvPassword = "ATRIUM_VNC_PASSWORD"
	// EnvGeometry and EnvDepth set Xvnc's initial screen.
	EnvGeometry = "ATRIUM_GEOMETRY"
	EnvDepth    = "ATRIUM_DEPTH"
	// HomePath is the home of the image's user, where the home volume is
	// mounted.
	HomePath = "/home/atrium"
	// User is the image's user, uid and gid 1000; its home in the image
	// belongs to it, so a fresh Docker volume does too.
	User = "1000:1000"
)

// minPassword is the shortest password accepted. VNC authentication is weak
// (DES, 8 bytes at most), so a short secret would make it weaker still; the
// core generates long ones.
const minPassword = 8

// ErrNoPassword is returned by LaunchSpec when the core did not supply the
// vnc_password secret that Describe asks for.
var ErrNoPassword = errors.New("workspace-vnc: the vnc_password secret is missing")

// Workspace is the Linux desktop workspace. Create it with New.
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
		Name:        "workspace-vnc",
		Version:     Version,
		Description: "A Linux desktop (Xvnc, Openbox, xterm) reached with noVNC",
	}
}

// ConfigSchema describes the plugin's config block.
func (w *Workspace) ConfigSchema() schema.Object {
	return configSchema()
}

// Configure checks the config block; attributes it leaves out keep their
// defaults.
func (w *Workspace) Configure(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	c, err := decodeConfig(req.Config, "workspace-vnc config")
	if err != nil {
		return plugin.ConfigureResponse{}, err
	}
	c = defaults().overlay(c)
	w.mu.Lock()
	w.cfg = c
	w.mu.Unlock()
	plugin.Logger().Debug("configured", "image", c.Image, "geometry", c.Geometry, "depth", c.Depth)
	return plugin.ConfigureResponse{}, nil
}

// Describe says that sessions serve RFB on the "vnc" port, are ready when
// it greets, and need a fresh VNC password each.
func (w *Workspace) Describe(context.Context, workspace.DescribeRequest) (workspace.DescribeResponse, error) {
	return workspace.DescribeResponse{
		Protocol:    workspace.ProtocolVNC,
		Ports:       []launch.Port{{Name: PortName, Port: Port}},
		PrimaryPort: PortName,
		Readiness: workspace.Probe{
			Kind: workspace.ProbeRFB,
			Port: PortName,
			// Xvnc greets about a second after the container starts; poll
			// often enough that the user does not wait much longer.
			Interval: 200 * time.Millisecond,
			Timeout:  2 * time.Second,
		},
		Secrets:     []string{SecretPassword},
		DisplayName: "Linux desktop",
		Description: "A Linux desktop in the browser: Openbox, a terminal and a file manager, with your home folder kept between sessions.",
	}, nil
}

// LaunchSpec builds the container for one session. The image is the
// request's override, else the template's, else the plugin's; geometry and
// depth are the template's, else the plugin's.
func (w *Workspace) LaunchSpec(_ context.Context, req workspace.LaunchSpecRequest) (workspace.LaunchSpecResponse, error) {
	password := req.Secrets[SecretPassword]
	if password == "" {
		return workspace.LaunchSpecResponse{}, fmt.Errorf("%w for session %s; the core must generate every secret Describe lists", ErrNoPassword, req.Session.ID)
	}
	if len(password) < minPassword {
		// Never say what the password was, only how long it is.
		return workspace.LaunchSpecResponse{}, fmt.Errorf("workspace-vnc: the vnc_password secret for session %s has %d bytes, want at least %d; the core must generate a longer one", req.Session.ID, len(password), minPassword)
	}
	tmpl, err := decodeConfig(req.TemplateConfig, "template config for workspace-vnc")
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
		Image: c.Image,
		Env: map[string]string{
			EnvGeometry: c.Geometry,
			EnvDepth:    strconv.Itoa(c.Depth),
		},
		Secrets:    map[string]string{EnvPassword: password},
		Resources:  req.Resources,
		Ports:      []launch.Port{{Name: PortName, Port: Port}},
		HomePath:   HomePath,
		HomeVolume: req.HomeVolume,
		User:       User,
		WorkingDir: HomePath,
	}
	plugin.Logger().Debug("launch spec", "session", req.Session.ID, "image", spec.Image, "geometry", c.Geometry, "depth", c.Depth)
	return workspace.LaunchSpecResponse{Spec: spec}, nil
}
