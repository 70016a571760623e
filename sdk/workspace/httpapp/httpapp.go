// Package httpapp is a complete workspace plugin for the common case: a web
// app in one image that serves HTTP on one port, with the user's home
// mounted at /home/atrium and run as uid 1000. A plugin describes its app
// with a Spec and serves New(spec):
//
//	func main() { workspace.Serve(httpapp.New(myapp.Spec)) }
//
// The plugin's config block, and a template's, take one attribute, image;
// the image a request names wins, then the template's, then the plugin's.
package httpapp

import (
	"context"
	"sync"
	"time"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// The contract every httpapp image keeps.
const (
	// PortName names the HTTP port in Describe and launch specs.
	PortName = "http"
	// HomePath is the home of the image's user, where the home volume is
	// mounted and the app's working folder.
	HomePath = "/home/atrium"
	// User is the image's user, uid and gid 1000; its home in the image
	// belongs to it, so a fresh Docker volume does too.
	User = "1000:1000"
)

// Spec describes one web app.
type Spec struct {
	// Plugin names the plugin, e.g. {Name: "workspace-code", …}.
	Plugin plugin.Info
	// DisplayName and Description are shown to users choosing a template.
	DisplayName, Description string
	// DefaultImage runs unless a config block or the request names another.
	DefaultImage string
	// ImageContract explains, in the schema's description, what an image
	// must do to replace the default.
	ImageContract string
	// Port is where the app listens inside the container.
	Port int
	// ReadyPath answers below 500 once the app serves requests.
	ReadyPath string
	// ReadyInterval is how often readiness is polled; default 250 ms, since
	// apps answer a second or two after their container starts.
	ReadyInterval time.Duration
}

// Workspace serves one Spec. Create it with New.
type Workspace struct {
	spec Spec
	mu   sync.RWMutex
	cfg  Config
}

var _ workspace.Workspace = (*Workspace)(nil)

// New returns the workspace with the default configuration; the SDK calls
// Configure before anything else.
func New(spec Spec) *Workspace {
	if spec.ReadyInterval <= 0 {
		spec.ReadyInterval = 250 * time.Millisecond
	}
	return &Workspace{spec: spec, cfg: Config{Image: spec.DefaultImage}}
}

// PluginInfo names the plugin.
func (w *Workspace) PluginInfo() plugin.Info { return w.spec.Plugin }

// ConfigSchema describes the plugin's config block.
func (w *Workspace) ConfigSchema() schema.Object {
	return schema.Object{Attrs: map[string]schema.Attr{
		"image": {
			Type:        "string",
			Description: "Image to run; " + w.spec.ImageContract,
			Default:     w.spec.DefaultImage,
		},
	}}
}

// Configure checks the config block; attributes it leaves out keep their
// defaults.
func (w *Workspace) Configure(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	c, err := w.decode(req.Config, w.spec.Plugin.Name+" config")
	if err != nil {
		return plugin.ConfigureResponse{}, err
	}
	c = Config{Image: w.spec.DefaultImage}.overlay(c)
	w.mu.Lock()
	w.cfg = c
	w.mu.Unlock()
	plugin.Logger().Debug("configured", "image", c.Image)
	return plugin.ConfigureResponse{}, nil
}

// Describe says that sessions serve HTTP on the "http" port and are ready
// when ReadyPath answers.
func (w *Workspace) Describe(context.Context, workspace.DescribeRequest) (workspace.DescribeResponse, error) {
	return workspace.DescribeResponse{
		Protocol:    workspace.ProtocolHTTP,
		Ports:       []launch.Port{{Name: PortName, Port: w.spec.Port}},
		PrimaryPort: PortName,
		Readiness: workspace.Probe{
			Kind:     workspace.ProbeHTTP,
			Port:     PortName,
			Path:     w.spec.ReadyPath,
			Interval: w.spec.ReadyInterval,
			Timeout:  2 * time.Second,
		},
		DisplayName: w.spec.DisplayName,
		Description: w.spec.Description,
	}, nil
}

// LaunchSpec builds the container for one session. The image is the
// request's override, else the template's, else the plugin's.
func (w *Workspace) LaunchSpec(_ context.Context, req workspace.LaunchSpecRequest) (workspace.LaunchSpecResponse, error) {
	tmpl, err := w.decode(req.TemplateConfig, "template config for "+w.spec.Plugin.Name)
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
		Ports:      []launch.Port{{Name: PortName, Port: w.spec.Port}},
		HomePath:   HomePath,
		HomeVolume: req.HomeVolume,
		User:       User,
		WorkingDir: HomePath,
	}
	plugin.Logger().Debug("launch spec", "session", req.Session.ID, "image", spec.Image)
	return workspace.LaunchSpecResponse{Spec: spec}, nil
}
