package server

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/core/internal/sso"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// reloader applies re-reads of the configuration file to a running core:
// templates (mirrored into the database) and the auth blocks' login rules.
// What only a restart applies is named in the log and keeps running as it
// was; a file that does not load, or cannot apply, changes nothing.
type reloader struct {
	running  *config.Config
	load     func() (*config.Config, error)
	st       *store.Store
	sessions *session.Manager
	sso      *sso.Service
	log      hclog.Logger
}

// run reloads once per value on reloads until ctx ends.
func (r *reloader) run(ctx context.Context, reloads <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-reloads:
			r.reload(ctx)
		}
	}
}

// reload reads the file again and applies what it can.
func (r *reloader) reload(ctx context.Context) {
	next, err := r.load()
	if err != nil {
		// Diagnostics render as "file:line:col: summary: detail".
		r.log.Error("config reload failed; the running configuration stays", "error", err.Error())
		return
	}
	res, err := config.Reloaded(r.running, next)
	if err != nil {
		r.log.Error("config reload failed; the running configuration stays", "error", err.Error())
		return
	}
	// The database first: if it refuses, nothing has changed yet.
	sync, err := syncTemplates(ctx, res.Config, r.st)
	if err != nil {
		r.log.Error("config reload failed: templates could not be stored; the running configuration stays", "error", err)
		return
	}
	r.sessions.SetTemplates(res.Config.Templates, res.Config.EvalContext())
	r.sso.SetAuths(res.Config.Auths)
	r.running = res.Config
	for _, c := range res.Restart {
		r.log.Warn(c + " changed; restart to apply")
	}
	r.log.Info("config reloaded", "applied", res.Applied, "restart_needed", res.Restart,
		"templates_created", sync.Created, "templates_updated", sync.Updated, "templates_deleted", sync.Deleted)
	if err := r.st.Audit(ctx, store.AuditEntry{Action: "config.reload", TargetType: "config",
		Details: map[string]any{"applied": nonNil(res.Applied), "restart_needed": nonNil(res.Restart)}}); err != nil {
		r.log.Warn("audit the config reload", "error", err)
	}
}

// nonNil keeps an empty list a JSON list in the audit row.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
