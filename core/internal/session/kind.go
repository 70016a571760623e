package session

import (
	"context"
	"sync"

	"github.com/atrium-hq/atrium/sdk/workspace"
)

// kinds caches each workspace's protocol: it is fixed for a plugin build,
// and clients ask for it with every session they list.
type kinds struct {
	mu sync.Mutex
	m  map[string]workspace.Protocol
}

// Kind returns the protocol of the template's workspace — "vnc" for a
// desktop, "http" for an app — asking its plugin once; "" while the plugin
// cannot answer.
func (m *Manager) Kind(ctx context.Context, template string) string {
	tpl := m.Template(template)
	if tpl == nil {
		return ""
	}
	m.kinds.mu.Lock()
	p, ok := m.kinds.m[tpl.Workspace]
	m.kinds.mu.Unlock()
	if ok {
		return string(p)
	}
	ws, err := m.plugins.Workspace(tpl.Workspace)
	if err != nil {
		return ""
	}
	cctx, cancel := m.callCtx(ctx)
	defer cancel()
	desc, err := ws.Describe(cctx, workspace.DescribeRequest{})
	if err != nil {
		return ""
	}
	m.kinds.mu.Lock()
	if m.kinds.m == nil {
		m.kinds.m = map[string]workspace.Protocol{}
	}
	m.kinds.m[tpl.Workspace] = desc.Protocol
	m.kinds.mu.Unlock()
	return string(desc.Protocol)
}
