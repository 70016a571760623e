package docker

import (
	"context"
	"fmt"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// DestroySession removes every container of the session and, with
// RemoveHome, its home volume. It succeeds when nothing is left, including
// when there was nothing to begin with.
func (r *Runtime) DestroySession(ctx context.Context, req runtime.DestroyRequest) (runtime.DestroyResponse, error) {
	e, err := r.engine()
	if err != nil {
		return runtime.DestroyResponse{}, err
	}
	ids, err := e.sessionContainers(ctx, req.SessionID, req.Handle)
	if err != nil {
		return runtime.DestroyResponse{}, err
	}
	for _, cid := range ids {
		if err := e.remove(ctx, cid); err != nil {
			return runtime.DestroyResponse{}, fmt.Errorf("destroy session %s: %w", req.SessionID, err)
		}
	}
	if req.RemoveHome && req.HomeVolume != "" {
		if err := e.removeHome(ctx, req.HomeVolume); err != nil {
			return runtime.DestroyResponse{}, fmt.Errorf("destroy session %s: %w", req.SessionID, err)
		}
	}
	plugin.Logger().Info("session destroyed", "session", req.SessionID, "containers", len(ids), "home_removed", req.RemoveHome && req.HomeVolume != "")
	return runtime.DestroyResponse{}, nil
}
