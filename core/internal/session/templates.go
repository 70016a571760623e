package session

import (
	"context"

	"github.com/google/uuid"
	"github.com/hashicorp/hcl/v2"

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
	for _, t := range m.templates.Load().list {
		if templateAllows(t.Allow, org.Slug, org.ID, sc) {
			out = append(out, t)
		}
	}
	return out, nil
}

// templateSet is the configured templates as one immutable snapshot: a
// reload swaps the whole set (SetTemplates) while readers go on with the
// one they loaded.
type templateSet struct {
	list   []*config.Template // configuration order
	byName map[string]*config.Template
	// eval evaluates the templates' `config { }` bodies: the functions
	// of the file read they come from.
	eval *hcl.EvalContext
}

func newTemplateSet(ts []*config.Template, eval *hcl.EvalContext) *templateSet {
	set := &templateSet{list: ts, byName: make(map[string]*config.Template, len(ts)), eval: eval}
	for _, t := range ts {
		set.byName[t.Name] = t
	}
	return set
}

// SetTemplates replaces the templates, as a configuration reload does;
// eval is the re-read file's EvalContext. Sessions that run stay as they
// are; starts, connections and culls from now on read the new set.
func (m *Manager) SetTemplates(ts []*config.Template, eval *hcl.EvalContext) {
	m.templates.Store(newTemplateSet(ts, eval))
}

// Template returns the configured template called name, or nil.
func (m *Manager) Template(name string) *config.Template {
	return m.templates.Load().byName[name]
}
