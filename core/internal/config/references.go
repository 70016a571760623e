package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
)

// checkReferences reports every reference to a block that does not exist,
// at the attribute that makes it. References that failed to decode (empty
// name) were reported already.
func (d *decoder) checkReferences(cfg *Config) {
	plugins := names(cfg.Plugins, func(p *Plugin) string { return p.Name })
	runtimes := names(cfg.Runtimes, func(r *Runtime) string { return r.Name })
	workspaces := names(cfg.Workspaces, func(w *Workspace) string { return w.Name })

	for _, r := range cfg.Runtimes {
		d.checkReference("runtime", r.Name, "plugin", r.Plugin, r.PluginRange, plugins)
	}
	for _, w := range cfg.Workspaces {
		d.checkReference("workspace", w.Name, "plugin", w.Plugin, w.PluginRange, plugins)
	}
	for _, a := range cfg.Auths {
		d.checkReference("auth", a.Name, "plugin", a.Plugin, a.PluginRange, plugins)
	}
	for _, t := range cfg.Templates {
		d.checkReference("template", t.Name, "workspace", t.Workspace, t.WorkspaceRange, workspaces)
		d.checkReference("template", t.Name, "runtime", t.Runtime, t.RuntimeRange, runtimes)
	}
}

// checkReference reports that block kind "from" refers to a "to" block
// called name that is not among defined.
func (d *decoder) checkReference(fromKind, fromName, toKind, name string, at hcl.Range, defined []string) {
	if name == "" {
		return
	}
	for _, n := range defined {
		if n == name {
			return
		}
	}
	detail := fmt.Sprintf("The %s %q uses %s %q, but no %s block has that name.", fromKind, fromName, toKind, name, toKind)
	if s := suggest(name, defined); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	} else if len(defined) > 0 {
		detail += fmt.Sprintf(" Defined: %s.", strings.Join(defined, ", "))
	} else {
		detail += fmt.Sprintf(` Add a %s %q { … } block.`, toKind, name)
	}
	d.errorf(at, fmt.Sprintf("Undefined %s", toKind), "%s", detail)
}

// names lists the name of every block, sorted for stable messages.
func names[T any](blocks []T, name func(T) string) []string {
	out := make([]string, 0, len(blocks))
	for _, b := range blocks {
		out = append(out, name(b))
	}
	sort.Strings(out)
	return out
}

// suggest returns the defined name closest to a misspelt one, if any is
// close enough to be a likely typo.
func suggest(name string, defined []string) string {
	best, bestDist := "", 3 // more than two edits away is a different name
	for _, n := range defined {
		if dist := levenshtein.Distance(name, n, nil); dist < bestDist {
			best, bestDist = n, dist
		}
	}
	return best
}
