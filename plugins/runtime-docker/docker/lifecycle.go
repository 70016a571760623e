package docker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// StopSession stops the session's container, giving it req.Timeout (or
// config stop_timeout) to exit, and removes it. The home volume stays. A
// session without a container is already stopped.
func (r *Runtime) StopSession(ctx context.Context, req runtime.StopRequest) (runtime.StopResponse, error) {
	e, err := r.engine()
	if err != nil {
		return runtime.StopResponse{}, err
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = e.cfg.stopTimeout
	}
	ids, err := e.sessionContainers(ctx, req.SessionID, req.Handle)
	if err != nil {
		return runtime.StopResponse{}, err
	}
	for _, cid := range ids {
		if err := e.stop(ctx, cid, timeout); err != nil {
			return runtime.StopResponse{}, fmt.Errorf("stop session %s: %w", req.SessionID, err)
		}
		if err := e.remove(ctx, cid); err != nil {
			return runtime.StopResponse{}, fmt.Errorf("stop session %s: %w", req.SessionID, err)
		}
	}
	plugin.Logger().Info("session stopped", "session", req.SessionID, "containers", len(ids))
	return runtime.StopResponse{}, nil
}

// HibernateSession stops the session's container and keeps it. The
// container is renamed first, so that its exit reads as hibernation to
// everyone who inspects it, including the event watcher and a fresh plugin
// process.
func (r *Runtime) HibernateSession(ctx context.Context, req runtime.HibernateRequest) (runtime.HibernateResponse, error) {
	e, err := r.engine()
	if err != nil {
		return runtime.HibernateResponse{}, err
	}
	c, found, err := e.find(ctx, req.SessionID, req.Handle)
	if err != nil {
		return runtime.HibernateResponse{}, err
	}
	if !found {
		return runtime.HibernateResponse{}, fmt.Errorf("hibernate session %s: %w", req.SessionID, runtime.ErrSessionNotFound)
	}
	if err := e.rename(ctx, c, hibernatedName(req.SessionID)); err != nil {
		return runtime.HibernateResponse{}, fmt.Errorf("hibernate session %s: %w", req.SessionID, err)
	}
	if err := e.stop(ctx, c.ID, e.cfg.stopTimeout); err != nil {
		return runtime.HibernateResponse{}, fmt.Errorf("hibernate session %s: %w", req.SessionID, err)
	}
	plugin.Logger().Info("session hibernated", "session", req.SessionID, "container", c.ID)
	return runtime.HibernateResponse{}, nil
}

// ResumeSession starts a hibernated session's container again. Its
// StartedAt, and so its InstanceID, changes.
func (r *Runtime) ResumeSession(ctx context.Context, req runtime.ResumeRequest) (runtime.ResumeResponse, error) {
	e, err := r.engine()
	if err != nil {
		return runtime.ResumeResponse{}, err
	}
	c, found, err := e.find(ctx, req.SessionID, req.Handle)
	if err != nil {
		return runtime.ResumeResponse{}, err
	}
	if !found {
		return runtime.ResumeResponse{}, fmt.Errorf("resume session %s: %w; start it again instead", req.SessionID, runtime.ErrSessionNotFound)
	}
	if err := e.rename(ctx, c, containerName(req.SessionID)); err != nil {
		return runtime.ResumeResponse{}, fmt.Errorf("resume session %s: %w", req.SessionID, err)
	}
	if _, err := e.cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err != nil && !isNotModified(err) {
		return runtime.ResumeResponse{}, e.engineErr(fmt.Sprintf("resume session %s: start container %s", req.SessionID, c.ID), err)
	}
	report(req.Progress, runtime.PhaseContainerStarted, "container "+containerName(req.SessionID)+" started again")
	res, err := e.cli.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
	if err != nil {
		return runtime.ResumeResponse{}, e.engineErr("inspect resumed container "+c.ID, err)
	}
	plugin.Logger().Info("session resumed", "session", req.SessionID, "container", c.ID)
	return runtime.ResumeResponse{Handle: handleOf(res.Container), Status: statusOf(res.Container)}, nil
}

// sessionContainers lists every container of a session: the one the handle
// names and any other carrying the session's label.
func (e *engine) sessionContainers(ctx context.Context, id string, h runtime.Handle) ([]string, error) {
	c, found, err := e.find(ctx, id, h)
	if err != nil {
		return nil, err
	}
	ids, err := e.listIDs(ctx, map[string]string{LabelSession: id})
	if err != nil {
		return nil, err
	}
	if found && !contains(ids, c.ID) {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stop stops a container, killing it after timeout. A container that is
// gone or already stopped is fine.
func (e *engine) stop(ctx context.Context, id string, timeout time.Duration) error {
	_, err := e.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: seconds(timeout)})
	if err == nil || isNotFound(err) || isNotModified(err) {
		return nil
	}
	return e.engineErr("stop container "+id, err)
}

// rename gives c name unless it has it already.
func (e *engine) rename(ctx context.Context, c container.InspectResponse, name string) error {
	if strings.TrimPrefix(c.Name, "/") == name {
		return nil
	}
	if _, err := e.cli.ContainerRename(ctx, c.ID, client.ContainerRenameOptions{NewName: name}); err != nil {
		return e.engineErr(fmt.Sprintf("rename container %s to %s", c.ID, name), err)
	}
	return nil
}

// removeWait bounds how long remove waits for a removal Docker already has
// in progress.
const removeWait = 30 * time.Second

// remove removes a container, killing it if it runs, with its anonymous
// volumes (named volumes, such as homes, stay). It returns once the
// container is gone.
func (e *engine) remove(ctx context.Context, id string) error {
	_, err := e.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err == nil || isNotFound(err) {
		return nil
	}
	if !isConflict(err) {
		return e.engineErr("remove container "+id, err)
	}
	// Another call is removing it already: wait until it is gone.
	ctx, cancel := context.WithTimeout(ctx, removeWait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		_, ierr := e.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if isNotFound(ierr) {
			return nil
		}
		select {
		case <-ctx.Done():
			return e.engineErr("remove container "+id, err)
		case <-tick.C:
		}
	}
}

// removeQuietly removes a container after a failure, when the caller
// already has an error to report.
func (e *engine) removeQuietly(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), removeWait)
	defer cancel()
	if err := e.remove(ctx, id); err != nil {
		plugin.Logger().Warn("could not remove a container that failed to start", "container", id, "error", err)
	}
}
