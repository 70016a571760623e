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
	"fmt"
	"strings"
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
	// BasePathEnv names the environment variable that tells the app the
	// path under which browsers reach it, without the trailing slash
	// (/apps/{session}); it is left unset when the app has an origin of
	// its own. Empty: the app is not told.
	BasePathEnv string
	// KeepBasePath says the app serves under the base path it was told,
	// routing by the whole path, so the core's proxy must forward paths
	// with it (Jupyter's base_url). Without it the proxy strips the base
	// path, which suits apps whose links are relative.
	KeepBasePath bool
	// OriginEnv names the variable that carries the origin
	// (scheme://host[:port]) browsers reach the app at, e.g. for its
	// allowed origins. Empty: the app is not told.
	OriginEnv string
	// Token, when set, has the core generate a per-session secret, hand it
	// to the app, and present it on every request its proxy forwards, so
	// the app refuses whatever reaches it by another way.
	Token *Token
}

// Token is how an app receives and checks its per-session credential.
type Token struct {
	// Env names the variable that carries it into the container; the
	// image should take it out of the environment before starting the
	// app, so the app's children do not inherit it.
	Env string
	// Header and Prefix are how the proxy presents it:
	// "Header: Prefix<token>", e.g. Authorization and "token ".
	Header, Prefix string
}

// TokenSecret names the per-session secret that holds the app's token.
const TokenSecret = "app_token"

// check refuses a Spec whose parts contradict each other: a plugin bug,
// reported at the first Configure.
func (s Spec) check() error {
	switch {
	case s.KeepBasePath && s.BasePathEnv == "":
		return fmt.Errorf("%s: the Spec keeps the base path but names no BasePathEnv to tell the app it", s.Plugin.Name)
	case s.Token != nil && (s.Token.Env == "" || s.Token.Header == ""):
		return fmt.Errorf("%s: the Spec's Token needs Env and Header", s.Plugin.Name)
	}
	return nil
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
	if err := w.spec.check(); err != nil {
		return plugin.ConfigureResponse{}, err
	}
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
// when ReadyPath answers, and declares the Spec's token and base path.
func (w *Workspace) Describe(context.Context, workspace.DescribeRequest) (workspace.DescribeResponse, error) {
	d := workspace.DescribeResponse{
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
		DisplayName:  w.spec.DisplayName,
		Description:  w.spec.Description,
		KeepBasePath: w.spec.KeepBasePath,
	}
	if t := w.spec.Token; t != nil {
		d.Secrets = []string{TokenSecret}
		d.UpstreamAuth = &workspace.UpstreamAuth{Header: t.Header, Prefix: t.Prefix, Secret: TokenSecret}
	}
	return d, nil
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
		Env:        w.appEnv(req),
		Resources:  req.Resources,
		Ports:      []launch.Port{{Name: PortName, Port: w.spec.Port}},
		HomePath:   HomePath,
		HomeVolume: req.HomeVolume,
		User:       User,
		WorkingDir: HomePath,
	}
	if t := w.spec.Token; t != nil {
		token := req.Secrets[TokenSecret]
		if token == "" {
			return workspace.LaunchSpecResponse{}, fmt.Errorf("%s: no %s secret for session %s; the core must generate every secret Describe lists", w.spec.Plugin.Name, TokenSecret, req.Session.ID)
		}
		spec.Secrets = map[string]string{t.Env: token}
	}
	plugin.Logger().Debug("launch spec", "session", req.Session.ID, "image", spec.Image, "base_path", req.AppBasePath)
	return workspace.LaunchSpecResponse{Spec: spec}, nil
}

// appEnv tells the app where browsers reach it, as the Spec asks; nil when
// there is nothing to tell.
func (w *Workspace) appEnv(req workspace.LaunchSpecRequest) map[string]string {
	env := map[string]string{}
	if base := strings.TrimSuffix(req.AppBasePath, "/"); w.spec.BasePathEnv != "" && base != "" {
		env[w.spec.BasePathEnv] = base
	}
	if w.spec.OriginEnv != "" && req.AppOrigin != "" {
		env[w.spec.OriginEnv] = req.AppOrigin
	}
	if len(env) == 0 {
		return nil
	}
	return env
}
