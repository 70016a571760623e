package server

import (
	"context"
	"sync"
	"time"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// kindNames answers a template's workspace display name ("VS Code",
// "Jupyter") for the API, which shows it as the session's kind: the
// protocol alone ("http") cannot tell VS Code from Jupyter. It asks each
// workspace plugin once and keeps the answer, which is fixed for a plugin
// build; lists ask for it with every row.
type kindNames struct {
	// templates answers the running templates, which a reload swaps.
	templates interface {
		Template(name string) *config.Template
	}
	plugins session.Plugins
	timeout time.Duration

	mu    sync.Mutex
	names map[string]string // workspace block name → display name
}

func newKindNames(cfg *config.Config, sessions *session.Manager, host *pluginhost.Host) *kindNames {
	return &kindNames{templates: sessions, plugins: session.HostPlugins(host), timeout: cfg.Server.PluginTimeout, names: map[string]string{}}
}

// name returns the display name of template's workspace, or "" while its
// plugin cannot answer (the next call asks again).
func (k *kindNames) name(ctx context.Context, template string) string {
	tpl := k.templates.Template(template)
	if tpl == nil {
		return ""
	}
	ws := tpl.Workspace
	k.mu.Lock()
	n, ok := k.names[ws]
	k.mu.Unlock()
	if ok {
		return n
	}
	client, err := k.plugins.Workspace(ws)
	if err != nil {
		return ""
	}
	cctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	desc, err := client.Describe(cctx, workspace.DescribeRequest{})
	if err != nil || desc.DisplayName == "" {
		return ""
	}
	k.mu.Lock()
	k.names[ws] = desc.DisplayName
	k.mu.Unlock()
	return desc.DisplayName
}
