package docker

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// find returns the container of session id, or found=false when there is
// none. It tries the container id in the handle first and falls back to
// the session label, so a stale or lost handle still finds the session. A
// container whose session label disagrees with id is never returned.
func (e *engine) find(ctx context.Context, id string, h runtime.Handle) (c container.InspectResponse, found bool, err error) {
	hv, herr := decodeHandle(h)
	if herr != nil {
		plugin.Logger().Warn("ignoring unreadable handle; finding the container by its session label", "session", id, "error", herr)
	}
	if hv.ContainerID != "" {
		res, err := e.cli.ContainerInspect(ctx, hv.ContainerID, client.ContainerInspectOptions{})
		switch {
		case err == nil && res.Container.Config != nil && res.Container.Config.Labels[LabelSession] == id:
			return res.Container, true, nil
		case err != nil && !isNotFound(err):
			return container.InspectResponse{}, false, e.engineErr("inspect container "+hv.ContainerID, err)
		}
	}
	ids, err := e.listIDs(ctx, map[string]string{LabelSession: id})
	if err != nil {
		return container.InspectResponse{}, false, err
	}
	for _, cid := range ids {
		res, err := e.cli.ContainerInspect(ctx, cid, client.ContainerInspectOptions{})
		if isNotFound(err) {
			continue // removed between list and inspect
		}
		if err != nil {
			return container.InspectResponse{}, false, e.engineErr("inspect container "+cid, err)
		}
		return res.Container, true, nil
	}
	return container.InspectResponse{}, false, nil
}

// listIDs lists the ids of Atrium's containers, running or not, whose
// labels all match.
func (e *engine) listIDs(ctx context.Context, labels map[string]string) ([]string, error) {
	res, err := e.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: labelFilters(labels)})
	if err != nil {
		return nil, e.engineErr("list containers", err)
	}
	ids := make([]string, 0, len(res.Items))
	for _, it := range res.Items {
		ids = append(ids, it.ID)
	}
	return ids, nil
}

// labelFilters matches objects carrying Atrium's label and every one of
// labels.
func labelFilters(labels map[string]string) client.Filters {
	f := make(client.Filters).Add("label", LabelManaged+"="+managedValue)
	for k, v := range labels {
		f.Add("label", k+"="+v)
	}
	return f
}

// statusOf maps a container's Docker state to the session's status.
func statusOf(c container.InspectResponse) runtime.Status {
	if c.State == nil {
		return runtime.Status{State: runtime.StateUnknown, Message: "docker reported no container state"}
	}
	st := c.State
	started := parseDockerTime(st.StartedAt)
	s := runtime.Status{
		// StartedAt changes on every start, so a restarted container is a
		// new instance to the core even though its id is the same.
		InstanceID: c.ID + ":" + st.StartedAt,
		StartedAt:  started,
	}
	sessionID := ""
	if c.Config != nil {
		sessionID = c.Config.Labels[LabelSession]
	}
	switch st.Status {
	case container.StateCreated:
		s.State = runtime.StateStarting
		s.Message = "container created"
	case container.StateRunning:
		s.State = runtime.StateRunning
		s.Addresses = addressesOf(c)
	case container.StatePaused:
		s.State = runtime.StateRunning
		s.Message = "container paused by someone outside Atrium"
		s.Addresses = addressesOf(c)
	case container.StateRestarting:
		s.State = runtime.StateStarting
		s.Message = "container restarting"
	case container.StateExited:
		if isHibernated(c.Name, sessionID) {
			s.State = runtime.StateStopped
			s.Message = "hibernated"
			return s
		}
		s.State = runtime.StateExited
		s.ExitCode = st.ExitCode
		s.Message = exitMessage(st)
	case container.StateDead, container.StateRemoving:
		s.State = runtime.StateExited
		s.ExitCode = st.ExitCode
		s.Message = "container " + string(st.Status)
	default:
		s.State = runtime.StateUnknown
		s.Message = fmt.Sprintf("docker reports unknown container state %q", st.Status)
	}
	return s
}

// addressesOf lists a running container's IPs on every network it is
// attached to: all of them are its own, and the core dials only those that
// also lie inside the runtime's configured networks.
func addressesOf(c container.InspectResponse) []string {
	if c.NetworkSettings == nil {
		return nil
	}
	var out []string
	for _, ep := range c.NetworkSettings.Networks {
		if ep == nil {
			continue
		}
		for _, ip := range []netip.Addr{ep.IPAddress, ep.GlobalIPv6Address} {
			if ip.IsValid() && !slices.Contains(out, ip.String()) {
				out = append(out, ip.String())
			}
		}
	}
	slices.Sort(out) // map order would make every report look like a change
	return out
}

// exitMessage explains why a container exited.
func exitMessage(st *container.State) string {
	var parts []string
	parts = append(parts, fmt.Sprintf("exited with code %d", st.ExitCode))
	if st.OOMKilled {
		parts = append(parts, "killed for exceeding its memory limit")
	}
	if st.Error != "" {
		parts = append(parts, st.Error)
	}
	return strings.Join(parts, ": ")
}

// parseDockerTime parses Docker's RFC 3339 times; Docker writes the zero
// time as "0001-01-01T00:00:00Z", which maps to time.Time{}.
func parseDockerTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

// handleOf returns the handle of a container.
func handleOf(c container.InspectResponse) runtime.Handle {
	id := ""
	if c.Config != nil {
		id = c.Config.Labels[LabelSession]
	}
	return encodeHandle(handleV1{ContainerID: c.ID, ContainerName: strings.TrimPrefix(c.Name, "/"), SessionID: id})
}

// engineErr wraps an error of a call to the engine, naming what to do when
// the engine is unreachable.
func (e *engine) engineErr(what string, err error) error {
	if client.IsErrConnectionFailed(err) {
		return fmt.Errorf("%s: %w", what, unreachable(e.cfg.host, err))
	}
	return fmt.Errorf("%s on docker engine %s: %w", what, e.cfg.host, err)
}

// InspectSession reports the session's status; a session without a
// container is StateMissing.
func (r *Runtime) InspectSession(ctx context.Context, req runtime.InspectRequest) (runtime.InspectResponse, error) {
	e, err := r.engine()
	if err != nil {
		return runtime.InspectResponse{}, err
	}
	c, found, err := e.find(ctx, req.SessionID, req.Handle)
	if err != nil {
		return runtime.InspectResponse{}, err
	}
	if !found {
		return runtime.InspectResponse{Status: missing()}, nil
	}
	return runtime.InspectResponse{Status: statusOf(c)}, nil
}

// RecoverSession reports the status of a session an earlier plugin
// process started, and a fresh handle when the container was found by its
// label rather than by the stored handle.
func (r *Runtime) RecoverSession(ctx context.Context, req runtime.RecoverRequest) (runtime.RecoverResponse, error) {
	e, err := r.engine()
	if err != nil {
		return runtime.RecoverResponse{}, err
	}
	c, found, err := e.find(ctx, req.SessionID, req.Handle)
	if err != nil {
		return runtime.RecoverResponse{}, err
	}
	if !found {
		return runtime.RecoverResponse{Status: missing()}, nil
	}
	return runtime.RecoverResponse{Handle: handleOf(c), Status: statusOf(c)}, nil
}

// missing is the status of a session Docker has no container for.
func missing() runtime.Status {
	return runtime.Status{State: runtime.StateMissing, Message: "no container with this session's label"}
}
