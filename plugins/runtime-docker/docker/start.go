package docker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// StartSession creates and starts the session's container. Called again
// for the same session after a failure, it reuses a running container of
// the same image and replaces anything else left over.
func (r *Runtime) StartSession(ctx context.Context, req runtime.StartRequest) (runtime.StartResponse, error) {
	e, err := r.engine()
	if err != nil {
		return runtime.StartResponse{}, err
	}
	if err := checkSpec(req.Session, req.Spec); err != nil {
		return runtime.StartResponse{}, err
	}
	id := identity(req.Session)
	log := plugin.Logger().With("session", id.ID)

	if c, ok, err := e.reuseOrClear(ctx, id.ID, req.Spec.Image); err != nil {
		return runtime.StartResponse{}, err
	} else if ok {
		log.Info("session already running; reusing its container", "container", c.ID)
		return runtime.StartResponse{Handle: handleOf(c), Status: statusOf(c)}, nil
	}

	var volume string
	if req.Spec.HomeVolume != "" {
		if volume, err = e.ensureHome(ctx, id, req.Spec.HomeVolume); err != nil {
			return runtime.StartResponse{}, err
		}
	}

	begin := time.Now()
	opts := e.createOptions(id, req.Session.Labels, req.Spec, volume)
	created, err := e.cli.ContainerCreate(ctx, opts)
	if err != nil {
		return runtime.StartResponse{}, e.createErr(ctx, opts.Name, req.Spec.Image, err)
	}
	for _, w := range created.Warnings {
		log.Warn("docker warned when creating the container", "container", created.ID, "warning", w)
	}
	// Docker never pulls here: a created container means the image is
	// present. There is no "scheduled": one engine, nothing to choose.
	report(req.Progress, runtime.PhaseImageReady, "image "+req.Spec.Image+" is present")
	if err := e.copySecrets(ctx, created.ID, req.Spec); err != nil {
		e.removeQuietly(created.ID)
		return runtime.StartResponse{}, err
	}
	if _, err := e.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		// A container that never started helps nobody; remove it so that a
		// retry starts clean.
		e.removeQuietly(created.ID)
		return runtime.StartResponse{}, e.engineErr(fmt.Sprintf("start container %s of session %s (image %s)", opts.Name, id.ID, req.Spec.Image), err)
	}
	report(req.Progress, runtime.PhaseContainerStarted, "container "+opts.Name+" started")
	res, err := e.cli.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{})
	if err != nil {
		return runtime.StartResponse{}, e.engineErr("inspect started container "+created.ID, err)
	}
	log.Info("session started", "container", created.ID, "image", req.Spec.Image,
		"home_volume", volume, "took", time.Since(begin).Round(time.Millisecond))
	return runtime.StartResponse{Handle: handleOf(res.Container), Status: statusOf(res.Container)}, nil
}

// checkSpec refuses specs Docker would reject with a less helpful error.
// Values, which may be secrets, never appear in its errors.
func checkSpec(s runtime.Session, spec launch.Spec) error {
	if s.ID == "" {
		return errors.New("session id is empty: the core names every session")
	}
	if spec.Image == "" {
		return fmt.Errorf("session %s has no image: the workspace plugin's launch spec must name one", s.ID)
	}
	if spec.HomeVolume != "" && !strings.HasPrefix(spec.HomePath, "/") {
		return fmt.Errorf("session %s has home volume %q but home path %q: set Spec.HomePath to an absolute path such as /home/atrium", s.ID, spec.HomeVolume, spec.HomePath)
	}
	for _, env := range []map[string]string{spec.Env, spec.Secrets} {
		for k := range env {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return fmt.Errorf("session %s has environment variable name %q, which is empty or holds '=' or NUL", s.ID, k)
			}
		}
	}
	if spec.Resources.CPU < 0 || spec.Resources.MemoryBytes < 0 || spec.Resources.Pids < 0 {
		return fmt.Errorf("session %s has negative resource limits %+v: zero means no limit", s.ID, spec.Resources)
	}
	return nil
}

// identity is the part of the session labels carry.
func identity(s runtime.Session) sessionIdentity {
	return sessionIdentity{ID: s.ID, UserID: s.UserID, OrgID: s.OrgID, Template: s.Template}
}

// reuseOrClear looks for containers a previous StartSession of the same
// session left. A running one of the same image is the answer to a retried
// call and is reused; anything else is removed.
func (e *engine) reuseOrClear(ctx context.Context, id, image string) (container.InspectResponse, bool, error) {
	ids, err := e.listIDs(ctx, map[string]string{LabelSession: id})
	if err != nil {
		return container.InspectResponse{}, false, err
	}
	for _, cid := range ids {
		res, err := e.cli.ContainerInspect(ctx, cid, client.ContainerInspectOptions{})
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return container.InspectResponse{}, false, e.engineErr("inspect leftover container "+cid, err)
		}
		c := res.Container
		if len(ids) == 1 && c.State != nil && c.State.Running && c.Config != nil && c.Config.Image == image {
			// Someone may have started a hibernated container by hand; its
			// name must not make its next exit read as hibernation.
			if err := e.rename(ctx, c, containerName(id)); err != nil {
				return container.InspectResponse{}, false, err
			}
			c.Name = "/" + containerName(id)
			return c, true, nil
		}
		if err := e.remove(ctx, cid); err != nil {
			return container.InspectResponse{}, false, fmt.Errorf("remove leftover container of session %s: %w", id, err)
		}
		plugin.Logger().Info("removed leftover container before starting the session", "session", id, "container", cid)
	}
	return container.InspectResponse{}, false, nil
}

// createOptions builds the container: labelled, on the plugin's network,
// publishing nothing on the host, with the spec's limits.
func (e *engine) createOptions(id sessionIdentity, extra map[string]string, spec launch.Spec, volume string) client.ContainerCreateOptions {
	cfg := &container.Config{
		Image:        spec.Image,
		Env:          environment(spec.Env),
		User:         spec.User,
		WorkingDir:   spec.WorkingDir,
		Labels:       e.sessionLabels(id, extra),
		ExposedPorts: exposedPorts(spec.Ports),
		StopTimeout:  seconds(e.cfg.stopTimeout),
	}
	if len(spec.Command) > 0 {
		// The spec's command replaces the image's entrypoint and command.
		cfg.Entrypoint = spec.Command[:1]
		cfg.Cmd = spec.Command[1:]
	}
	host := &container.HostConfig{
		NetworkMode:   container.NetworkMode(e.cfg.network),
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyDisabled},
		// The session images run as an ordinary user and need no
		// capability; none can be regained through setuid files either.
		CapDrop:     []string{"ALL"},
		SecurityOpt: []string{"no-new-privileges"},
		Resources: container.Resources{
			NanoCPUs: int64(math.Round(spec.Resources.CPU * 1e9)),
			Memory:   spec.Resources.MemoryBytes,
		},
	}
	if spec.Resources.Pids > 0 {
		pids := spec.Resources.Pids
		host.Resources.PidsLimit = &pids
	}
	if volume != "" {
		host.Mounts = []mount.Mount{{Type: mount.TypeVolume, Source: volume, Target: spec.HomePath}}
	}
	return client.ContainerCreateOptions{
		Name:       containerName(id.ID),
		Config:     cfg,
		HostConfig: host,
		NetworkingConfig: &network.NetworkingConfig{
			EndpointsConfig: map[string]*network.EndpointSettings{e.cfg.network: {}},
		},
	}
}

// environment is env as Docker's KEY=value list, sorted so that the same
// spec always makes the same container. Secrets are files (copySecrets).
func environment(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// exposedPorts documents the session's ports on the container. Exposing
// publishes nothing on the host.
func exposedPorts(ports []launch.Port) network.PortSet {
	if len(ports) == 0 {
		return nil
	}
	set := network.PortSet{}
	for _, p := range ports {
		if port, err := network.ParsePort(fmt.Sprintf("%d/tcp", p.Port)); err == nil {
			set[port] = struct{}{}
		}
	}
	return set
}

// seconds rounds d up to whole seconds, as Docker counts stop timeouts.
func seconds(d time.Duration) *int {
	s := int((d + time.Second - 1) / time.Second)
	return &s
}

// createErr explains a failed create, telling a missing image from other
// causes.
func (e *engine) createErr(ctx context.Context, name, image string, err error) error {
	if isNotFound(err) {
		if _, ierr := e.cli.ImageInspect(ctx, image); isNotFound(ierr) {
			return fmt.Errorf("image %s not found on docker engine %s: build it with `make images` or load it there (runtime-docker never pulls): %w", image, e.cfg.host, err)
		}
		return fmt.Errorf("create container %s: %w; if the docker network %q was removed, restart the plugin so it creates it again", name, err, e.cfg.network)
	}
	if isConflict(err) {
		return fmt.Errorf("create container %s: the name is taken by a container Atrium does not recognise as this session's: remove it with `docker rm -f %s`: %w", name, name, err)
	}
	return e.engineErr("create container "+name, err)
}
