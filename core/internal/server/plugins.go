package server

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// PluginSpecs turns every runtime, workspace and auth block into a plugin
// process to launch, each decoding its own `config { }` body against the
// schema its plugin reports.
func PluginSpecs(cfg *config.Config) []pluginhost.Spec {
	var specs []pluginhost.Spec
	add := func(kind plugin.Kind, name, pluginName string, body hcl.Body, at hcl.Range) {
		p := cfg.Plugin(pluginName) // config validation guarantees it exists
		block := fmt.Sprintf("%s %q", kind, name)
		specs = append(specs, pluginhost.Spec{
			Name:   fmt.Sprintf("%s.%s", kind, name),
			Kind:   kind,
			Block:  block,
			Pos:    fmt.Sprintf("%s:%d:%d", at.Filename, at.Start.Line, at.Start.Column),
			Plugin: p.Name,
			Path:   p.Path,
			SHA256: p.SHA256,
			Args:   p.Args,
			Env:    p.Env,
			Decode: func(s schema.Object) (json.RawMessage, error) {
				raw, diags := config.DecodePluginConfig(body, s, cfg.EvalContext())
				if err := cfg.DiagnosticsError(diags); err != nil {
					return nil, err
				}
				return raw, nil
			},
			Problems: func(s schema.Object, problems []plugin.ConfigProblem) error {
				return cfg.DiagnosticsError(config.PluginProblems(body, s, at, block, problems))
			},
		})
	}
	for _, r := range cfg.Runtimes {
		add(plugin.KindRuntime, r.Name, r.Plugin, r.Config, r.DeclRange)
	}
	for _, w := range cfg.Workspaces {
		add(plugin.KindWorkspace, w.Name, w.Plugin, w.Config, w.DeclRange)
	}
	for _, a := range cfg.Auths {
		add(plugin.KindAuth, a.Name, a.Plugin, a.Config, a.DeclRange)
	}
	return specs
}
