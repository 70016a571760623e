package docker

import (
	"context"

	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// ListSessions lists the sessions whose containers carry Atrium's label and
// every label asked for, running or not, so the core can converge its
// records with what Docker really has.
func (r *Runtime) ListSessions(ctx context.Context, req runtime.ListRequest) (runtime.ListResponse, error) {
	e, err := r.engine()
	if err != nil {
		return runtime.ListResponse{}, err
	}
	ids, err := e.listIDs(ctx, req.Labels)
	if err != nil {
		return runtime.ListResponse{}, err
	}
	out := runtime.ListResponse{Sessions: make([]runtime.ListedSession, 0, len(ids))}
	for _, cid := range ids {
		// The list omits StartedAt, which InstanceID needs.
		res, err := e.cli.ContainerInspect(ctx, cid, client.ContainerInspectOptions{})
		if isNotFound(err) {
			continue // removed since the list
		}
		if err != nil {
			return runtime.ListResponse{}, e.engineErr("inspect container "+cid, err)
		}
		c := res.Container
		if c.Config == nil || c.Config.Labels[LabelSession] == "" {
			continue // Atrium's, but not a session's
		}
		out.Sessions = append(out.Sessions, runtime.ListedSession{
			SessionID: c.Config.Labels[LabelSession],
			Handle:    handleOf(c),
			Status:    statusOf(c),
			Labels:    c.Config.Labels,
		})
	}
	return out, nil
}
