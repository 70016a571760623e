package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Reload is what re-reading the configuration of a running core may do:
// the blocks a core can swap while it serves (templates, and the login
// rules of auth blocks) and what only a restart applies.
type Reload struct {
	// Config is the running configuration with every live change applied
	// and everything else left as it runs. Serve from it, and compare the
	// next re-read with it.
	Config *Config
	// Applied names each live change, e.g. `template "b" added` or
	// `template "a" changed (image)`.
	Applied []string
	// Restart names each change only a restart applies, e.g.
	// "server.listen"; Config keeps the running value.
	Restart []string
}

// ErrReloadRefused means a re-read configuration cannot be applied live
// even in part: a live change depends on one only a restart applies.
var ErrReloadRefused = errors.New("the configuration cannot be reloaded")

// Reloaded compares next, a fresh read of the file, with running, and
// returns what a reload applies. It refuses (ErrReloadRefused) when a
// template names a runtime or workspace the running core does not have,
// so a reload applies all its live changes or none.
func Reloaded(running, next *Config) (*Reload, error) {
	r := &Reload{Restart: restartChanges(running, next)}
	var missing []string
	for _, t := range next.Templates {
		if running.Runtime(t.Runtime) == nil {
			missing = append(missing, fmt.Sprintf("template %q uses runtime %q", t.Name, t.Runtime))
		}
		if running.Workspace(t.Workspace) == nil {
			missing = append(missing, fmt.Sprintf("template %q uses workspace %q", t.Name, t.Workspace))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s, which the running core does not have; restart to apply", ErrReloadRefused, strings.Join(missing, "; "))
	}

	cfg := *running
	cfg.Templates = next.Templates
	// Template config bodies come from next's file and are evaluated with
	// its functions when a session starts.
	cfg.files, cfg.evalCtx, cfg.kept = next.files, next.evalCtx, nil
	for _, b := range running.Runtimes {
		cfg.keep(running, b.Config)
	}
	for _, b := range running.Workspaces {
		cfg.keep(running, b.Config)
	}
	for _, b := range running.Auths {
		cfg.keep(running, b.Config)
	}
	r.Applied = templateChanges(running, next)

	// The running auth blocks stay, their plugins launched; each takes the
	// login rules its namesake in next has.
	cfg.Auths = make([]*Auth, len(running.Auths))
	for i, a := range running.Auths {
		cfg.Auths[i] = a
		n := next.Auth(a.Name)
		if n == nil {
			continue
		}
		var changed []string
		if a.DisplayName != n.DisplayName {
			changed = append(changed, "display_name")
		}
		if a.AllowSignup != n.AllowSignup {
			changed = append(changed, "allow_signup")
		}
		if !slices.Equal(a.PlatformAdminGroups, n.PlatformAdminGroups) {
			changed = append(changed, "platform_admin_groups")
		}
		if !slices.EqualFunc(a.GroupMappings, n.GroupMappings, func(x, y *GroupMapping) bool {
			return x.Group == y.Group && x.Org == y.Org && x.Role == y.Role
		}) {
			changed = append(changed, "map_group")
		}
		if len(changed) == 0 {
			continue
		}
		live := *a
		live.DisplayName, live.AllowSignup = n.DisplayName, n.AllowSignup
		live.PlatformAdminGroups, live.GroupMappings = n.PlatformAdminGroups, n.GroupMappings
		cfg.Auths[i] = &live
		r.Applied = append(r.Applied, fmt.Sprintf("auth %q changed (%s)", a.Name, strings.Join(changed, ", ")))
	}
	r.Config = &cfg
	return r, nil
}

// templateChanges names the templates next adds, removes or changes.
func templateChanges(running, next *Config) []string {
	var out []string
	for _, t := range next.Templates {
		old := running.Template(t.Name)
		if old == nil {
			out = append(out, fmt.Sprintf("template %q added", t.Name))
			continue
		}
		if fields := templateFields(running, next, old, t); len(fields) > 0 {
			out = append(out, fmt.Sprintf("template %q changed (%s)", t.Name, strings.Join(fields, ", ")))
		}
	}
	for _, t := range running.Templates {
		if next.Template(t.Name) == nil {
			out = append(out, fmt.Sprintf("template %q removed", t.Name))
		}
	}
	if len(out) == 0 && !slices.EqualFunc(running.Templates, next.Templates, func(x, y *Template) bool { return x.Name == y.Name }) {
		out = append(out, "templates reordered")
	}
	return out
}

// templateFields names the attributes in which a and b differ.
func templateFields(ca, cb *Config, a, b *Template) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	add("workspace", a.Workspace != b.Workspace)
	add("runtime", a.Runtime != b.Runtime)
	add("display_name", a.DisplayName != b.DisplayName)
	add("description", a.Description != b.Description)
	add("image", a.Image != b.Image)
	add("cpu", a.CPU != b.CPU)
	add("memory", a.Memory != b.Memory)
	add("pids", a.Pids != b.Pids)
	add("idle_timeout", a.IdleTimeout != b.IdleTimeout)
	add("max_lifetime", a.MaxLifetime != b.MaxLifetime)
	add("allow", (a.Allow == nil) != (b.Allow == nil) || a.Allow != nil &&
		(!slices.Equal(a.Allow.Orgs, b.Allow.Orgs) || !slices.Equal(a.Allow.Roles, b.Allow.Roles)))
	add("config", !sameBody(ca, cb, a.Config, b.Config))
	return out
}

// restartChanges names what differs between running and next in the
// blocks a core reads once, at start: the server and database blocks,
// plugins, runtimes, workspaces, and the set of auth blocks and their
// plugins. Values are never named: some are secrets.
func restartChanges(running, next *Config) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	a, b := running.Server, next.Server
	add("server.listen", a.Listen != b.Listen)
	add("server.public_url", a.PublicURL != b.PublicURL)
	add("server.state_dir", a.StateDir != b.StateDir)
	add("server.app_domain", a.AppDomain != b.AppDomain)
	add("server.drain_grace", a.DrainGrace != b.DrainGrace)
	add("server.drain_timeout", a.DrainTimeout != b.DrainTimeout)
	add("server.plugin_timeout", a.PluginTimeout != b.PluginTimeout)
	add("server.secrets_key_file", a.SecretsKeyFile != b.SecretsKeyFile)
	add("server.metrics_listen", a.MetricsListen != b.MetricsListen)
	add("server.metrics_bearer_token", a.MetricsBearerToken != b.MetricsBearerToken)
	add("server.trusted_proxies", !slices.Equal(a.TrustedProxies, b.TrustedProxies))
	add("server.relays_per_user", a.RelaysPerUser != b.RelaysPerUser)
	add("server.relays_per_core", a.RelaysPerCore != b.RelaysPerCore)
	switch {
	case (running.Database == nil) != (next.Database == nil):
		add("database", true)
	case running.Database != nil:
		add("database.url", running.Database.URL != next.Database.URL)
	}

	out = append(out, blockChanges("plugin", running.Plugins, next.Plugins, func(p *Plugin) string { return p.Name }, func(x, y *Plugin) bool {
		return x.Path == y.Path && x.SHA256 == y.SHA256 && slices.Equal(x.Args, y.Args) && maps.Equal(x.Env, y.Env)
	})...)
	out = append(out, blockChanges("runtime", running.Runtimes, next.Runtimes, func(r *Runtime) string { return r.Name }, func(x, y *Runtime) bool {
		return x.Plugin == y.Plugin && slices.Equal(x.Networks, y.Networks) && sameBody(running, next, x.Config, y.Config)
	})...)
	out = append(out, blockChanges("workspace", running.Workspaces, next.Workspaces, func(w *Workspace) string { return w.Name }, func(x, y *Workspace) bool {
		return x.Plugin == y.Plugin && sameBody(running, next, x.Config, y.Config)
	})...)
	out = append(out, blockChanges("auth", running.Auths, next.Auths, func(a *Auth) string { return a.Name }, func(x, y *Auth) bool {
		return x.Plugin == y.Plugin && sameBody(running, next, x.Config, y.Config)
	})...)
	return out
}

// blockChanges names the blocks of a kind that next adds, removes, or
// changes where same says they differ.
func blockChanges[T any](kind string, running, next []T, nameOf func(T) string, same func(x, y T) bool) []string {
	old := map[string]T{}
	for _, b := range running {
		old[nameOf(b)] = b
	}
	var out []string
	seen := map[string]bool{}
	for _, b := range next {
		n := nameOf(b)
		seen[n] = true
		switch o, ok := old[n]; {
		case !ok:
			out = append(out, fmt.Sprintf("%s %q added", kind, n))
		case !same(o, b):
			out = append(out, fmt.Sprintf("%s %q changed", kind, n))
		}
	}
	for _, b := range running {
		if n := nameOf(b); !seen[n] {
			out = append(out, fmt.Sprintf("%s %q removed", kind, n))
		}
	}
	return out
}
