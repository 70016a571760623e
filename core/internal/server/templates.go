package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// storeTemplates converts the configured templates for SyncTemplates.
func storeTemplates(cfg *config.Config) ([]store.Template, error) {
	out := make([]store.Template, 0, len(cfg.Templates))
	for _, t := range cfg.Templates {
		st := store.Template{
			Name: t.Name, Workspace: t.Workspace, Runtime: t.Runtime, DisplayName: t.DisplayName,
			Description: t.Description, CPUMillis: int64(math.Round(t.CPU * 1000)), MemoryBytes: t.Memory,
			PIDs: t.Pids, IdleTimeout: t.IdleTimeout, MaxLifetime: t.MaxLifetime,
		}
		if t.Allow != nil {
			b, err := json.Marshal(map[string][]string{"orgs": t.Allow.Orgs, "roles": t.Allow.Roles})
			if err != nil {
				return nil, fmt.Errorf("encode template %q allow block: %w", t.Name, err)
			}
			st.Allow = b
		}
		out = append(out, st)
	}
	return out, nil
}

// syncTemplates mirrors the configured templates into the database,
// audited as the system.
func syncTemplates(ctx context.Context, cfg *config.Config, db *store.Store) (store.TemplateSync, error) {
	ts, err := storeTemplates(cfg)
	if err != nil {
		return store.TemplateSync{}, err
	}
	return db.SyncTemplates(ctx, store.Actor{}, ts)
}
