package session

import (
	"context"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// Usable lists the templates the caller may start a session from in the
// organisation orgID, in configuration order. An organisation outside the
// caller's scope is ErrNotFound.
func (m *Manager) Usable(ctx context.Context, sc store.Scope, orgID uuid.UUID) ([]*config.Template, error) {
	org, err := m.st.GetOrg(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	var out []*config.Template
	for _, t := range m.opts.Templates {
		if templateAllows(t.Allow, org.Slug, org.ID, sc) {
			out = append(out, t)
		}
	}
	return out, nil
}
