package docker

import (
	"context"

	"github.com/moby/moby/api/types/container"
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
	cs, err := e.inspectSessions(ctx, req.Labels)
	if err != nil {
		return runtime.ListResponse{}, err
	}
	out := runtime.ListResponse{Sessions: make([]runtime.ListedSession, 0, len(cs))}
	for _, c := range cs {
		out.Sessions = append(out.Sessions, listed(c, statusOf(c)))
	}
	return out, nil
}

// listed is c as ListSessions reports it, with status st.
func listed(c container.InspectResponse, st runtime.Status) runtime.ListedSession {
	return runtime.ListedSession{
		SessionID: c.Config.Labels[LabelSession],
		Handle:    handleOf(c),
		Status:    st,
		Labels:    c.Config.Labels,
	}
}

// inspectSessions inspects every session container, running or not,
// whose labels all match.
func (e *engine) inspectSessions(ctx context.Context, labels map[string]string) ([]container.InspectResponse, error) {
	ids, err := e.listIDs(ctx, labels)
	if err != nil {
		return nil, err
	}
	out := make([]container.InspectResponse, 0, len(ids))
	for _, cid := range ids {
		// The list omits StartedAt, which InstanceID needs.
		res, err := e.cli.ContainerInspect(ctx, cid, client.ContainerInspectOptions{})
		if isNotFound(err) {
			continue // removed since the list
		}
		if err != nil {
			return nil, e.engineErr("inspect container "+cid, err)
		}
		if res.Container.Config == nil || res.Container.Config.Labels[LabelSession] == "" {
			continue // Atrium's, but not a session's
		}
		out = append(out, res.Container)
	}
	return out, nil
}
