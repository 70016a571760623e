package config

import (
	"net/netip"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Config is a decoded, validated configuration file.
//
// Block slices keep the order of the file. Names are unique within each
// kind, and every cross-reference (a runtime's plugin, a template's runtime
// and workspace) names a block that exists.
type Config struct {
	Server Server
	// Database is nil when the file has no database block: the core then
	// runs an embedded PostgreSQL in Server.StateDir.
	Database   *Database
	Plugins    []*Plugin
	Runtimes   []*Runtime
	Workspaces []*Workspace
	Auths      []*Auth
	Templates  []*Template

	// files are the parsed sources, kept so later diagnostics (from plugin
	// config decoding) can be rendered with snippets.
	files   map[string]*hcl.File
	evalCtx *hcl.EvalContext
	// kept holds the source of bodies from an earlier read of the file
	// (see Reloaded), which files no longer has.
	kept map[*hclsyntax.Body][]byte
}

// Server is the `server` block. Every field holds its default when the
// block or the attribute is absent.
type Server struct {
	// Listen is the host:port the HTTP server binds. Default 127.0.0.1:8080.
	Listen string
	// PublicURL is the origin browsers use to reach the core, without a
	// trailing slash. Default: derived from Listen.
	PublicURL string
	// StateDir holds the embedded database and other local state, as an
	// absolute path when the config was loaded from a file. Default:
	// $XDG_STATE_HOME/atrium, else /var/lib/atrium for root and
	// ~/.local/state/atrium for everyone else.
	StateDir string
	// AppDomain is a wildcard domain such as "*.apps.example.com" under
	// which each session's apps get their own origin. Empty means apps are
	// served path-based from the core's origin, which does not isolate them.
	AppDomain string
	// DrainGrace is how long a core told to stop (SIGTERM, SIGINT) keeps
	// accepting connections while /readyz fails, so load balancers notice
	// and send new work elsewhere. Zero stops accepting at once. Default 5s.
	DrainGrace time.Duration
	// DrainTimeout bounds the rest of the drain: once the core stops
	// accepting, API requests in flight have this long to finish and
	// streams to close before the core stops anyway. Read from
	// drain_timeout, or its old name shutdown_timeout. Default 30s.
	DrainTimeout time.Duration
	// PluginTimeout bounds each control call to a plugin. Default 10s.
	PluginTimeout time.Duration
	// SecretsKeyFile holds the 32-byte key that seals session secrets in
	// the database. Every replica sharing a database needs the same one.
	// Empty: session-secrets.key in StateDir, created on first start,
	// which serves a single core only.
	SecretsKeyFile string
	// MetricsListen is the host:port of the Prometheus /metrics listener,
	// apart from the public one. Empty: no metrics are served.
	MetricsListen string
	// MetricsBearerToken, when set, is the token a scrape must present as
	// "Authorization: Bearer …". A secret: never log it. Required when
	// MetricsListen is not a loopback address.
	MetricsBearerToken string
	// TrustedProxies are the networks of reverse proxies whose
	// X-Forwarded-For names the client (see package clientaddr). Empty:
	// the peer's address is the client's.
	TrustedProxies []netip.Prefix
	// RelaysPerUser caps the desktop relays one user holds open on this
	// core; past it a new one is answered 429 with Retry-After. Default 8.
	RelaysPerUser int
	// RelaysPerCore caps this core's desktop relays; past it a new one is
	// answered 503 with Retry-After. Default 2000.
	RelaysPerCore int
	// DeclRange is the block header, or the zero Range when the file has
	// no server block.
	DeclRange hcl.Range
}

// Database is the `database` block.
type Database struct {
	// URL is a postgres:// connection URL. It may hold a password: never
	// log it.
	URL       string
	DeclRange hcl.Range
}

// Plugin is a `plugin "NAME"` block: one plugin binary the core may launch.
type Plugin struct {
	Name string
	// Path is the binary, resolved against the config file's directory.
	Path string
	// SHA256 is the binary's expected digest: 64 lower-case hex characters.
	SHA256 string
	// Args are passed to the binary.
	Args []string
	// Env is added to the plugin's environment. Values may be secrets.
	Env       map[string]string
	DeclRange hcl.Range
}

// Runtime is a `runtime "NAME"` block: a place sessions run.
type Runtime struct {
	Name string
	// Plugin names the Plugin that implements this runtime.
	Plugin      string
	PluginRange hcl.Range
	// Networks are the only prefixes the core dials when the runtime
	// answers a tunnel request with an endpoint address.
	Networks []netip.Prefix
	// Config is the plugin's `config { }` body, undecoded; see
	// DecodePluginConfig. It is never nil.
	Config    hcl.Body
	DeclRange hcl.Range
}

// Workspace is a `workspace "NAME"` block: a kind of workspace.
type Workspace struct {
	Name        string
	Plugin      string
	PluginRange hcl.Range
	// Config is the plugin's `config { }` body, undecoded. It is never nil.
	Config    hcl.Body
	DeclRange hcl.Range
}

// Auth is an `auth "NAME"` block: a way to log in.
type Auth struct {
	Name        string
	Plugin      string
	PluginRange hcl.Range
	// DisplayName is shown on the login page. Default: Name.
	DisplayName string
	// AllowSignup lets a first login through this block create the user.
	// Default false: only people who already have a user may log in.
	AllowSignup bool
	// PlatformAdminGroups makes members of these provider groups platform
	// admins, and takes the flag away at the next login when they leave
	// all of them. Empty: logins through this block never change it.
	PlatformAdminGroups []string
	// GroupMappings give organisation roles to members of provider groups,
	// in file order; see auth.go.
	GroupMappings []*GroupMapping
	// Config is the plugin's `config { }` body, undecoded. It is never nil.
	Config    hcl.Body
	DeclRange hcl.Range
}

// Template is a `template "NAME"` block: what users pick to start a
// session. Zero resource and time limits mean "no limit set here".
type Template struct {
	Name string
	// Workspace and Runtime name the blocks this template combines.
	Workspace      string
	WorkspaceRange hcl.Range
	Runtime        string
	RuntimeRange   hcl.Range
	// DisplayName defaults to Name.
	DisplayName string
	Description string
	// Image overrides the workspace plugin's default image when set.
	Image string
	// CPU is in cores and may be fractional.
	CPU float64
	// Memory is in bytes.
	Memory int64
	// Pids caps the number of processes in the session.
	Pids int64
	// IdleTimeout stops a session nobody has used for this long.
	IdleTimeout time.Duration
	// MaxLifetime stops a session this long after it started.
	MaxLifetime time.Duration
	// Allow restricts who may use the template; nil means everyone.
	Allow *Allow
	// Config is the `config { }` body handed to the workspace plugin,
	// undecoded. It is never nil.
	Config    hcl.Body
	DeclRange hcl.Range
}

// Allow is a template's `allow` block. A user may use the template when
// they belong to one of Orgs (or Orgs is empty) and hold one of Roles (or
// Roles is empty). At least one of the two is set.
type Allow struct {
	Orgs      []string
	Roles     []string
	DeclRange hcl.Range
}

// EvalContext returns the functions the file was evaluated with, bound to
// the file's directory. Pass it to DecodePluginConfig.
func (c *Config) EvalContext() *hcl.EvalContext { return c.evalCtx }

// DiagnosticsError wraps diags (for instance from DecodePluginConfig) in a
// *Diagnostics that carries the config's sources, so they render with
// snippets. It returns nil when diags holds no error.
func (c *Config) DiagnosticsError(diags hcl.Diagnostics) error {
	if !diags.HasErrors() {
		return nil
	}
	return &Diagnostics{Diags: diags, Files: c.files}
}

// Plugin returns the plugin block called name, or nil.
func (c *Config) Plugin(name string) *Plugin {
	for _, p := range c.Plugins {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Runtime returns the runtime block called name, or nil.
func (c *Config) Runtime(name string) *Runtime {
	for _, r := range c.Runtimes {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Workspace returns the workspace block called name, or nil.
func (c *Config) Workspace(name string) *Workspace {
	for _, w := range c.Workspaces {
		if w.Name == name {
			return w
		}
	}
	return nil
}

// Auth returns the auth block called name, or nil.
func (c *Config) Auth(name string) *Auth {
	for _, a := range c.Auths {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Template returns the template block called name, or nil.
func (c *Config) Template(name string) *Template {
	for _, t := range c.Templates {
		if t.Name == name {
			return t
		}
	}
	return nil
}
