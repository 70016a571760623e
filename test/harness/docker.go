package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Labels the runtime-docker plugin puts on what it creates
// (plugins/runtime-docker/docker/labels.go); the harness finds a
// session's containers and a user's home volume by them.
const (
	LabelManaged = "atrium.managed"
	LabelSession = "atrium.session"
	LabelUser    = "atrium.user"
)

// Docker connects to this machine's engine, starting it first with
// scripts/docker-up.sh when it does not answer (which installs Debian's
// docker.io on a fresh machine and needs root).
func Docker(ctx context.Context, root string) (*client.Client, error) {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	if _, err := cli.Ping(ctx, client.PingOptions{}); err == nil {
		return cli, nil
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "docker-up.sh"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("the Docker engine does not answer and scripts/docker-up.sh failed (run it as root): %w", err)
	}
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("the Docker engine still does not answer after scripts/docker-up.sh: %w", err)
	}
	return cli, nil
}

// EnsureImage builds image with images/desktop/build.sh when the engine
// lacks it. Nothing can be pulled on these machines, and the build takes
// one to several minutes, so it says so before it starts.
func EnsureImage(ctx context.Context, cli *client.Client, root, image string) error {
	_, err := cli.ImageInspect(ctx, image)
	if err == nil {
		return nil
	}
	if !errdefs.IsNotFound(err) {
		return fmt.Errorf("inspect image %s: %w", image, err)
	}
	fmt.Fprintf(os.Stderr, "harness: image %s is missing; building it with images/desktop/build.sh (debootstrap, one to several minutes, needs root)\n", image)
	began := time.Now()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "images", "desktop", "build.sh"))
	cmd.Env = append(os.Environ(), "IMAGE="+image)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("image %s is missing and images/desktop/build.sh failed; run `make images` as root and see its output: %w", image, err)
	}
	fmt.Fprintf(os.Stderr, "harness: built %s in %s\n", image, time.Since(began).Round(time.Second))
	return nil
}

// Labelled lists the names of the containers (any state) and volumes that
// carry every label in labels ("key=value").
func Labelled(ctx context.Context, cli *client.Client, labels ...string) (containers, volumes []string, err error) {
	f := make(client.Filters)
	for _, l := range labels {
		f.Add("label", l)
	}
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, nil, fmt.Errorf("list containers labelled %v: %w", labels, err)
	}
	for _, c := range cs.Items {
		name := c.ID
		if len(c.Names) > 0 {
			name = c.Names[0]
		}
		containers = append(containers, name)
	}
	vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return nil, nil, fmt.Errorf("list volumes labelled %v: %w", labels, err)
	}
	for _, v := range vs.Items {
		volumes = append(volumes, v.Name)
	}
	return containers, volumes, nil
}

// RemoveLabelled removes, forcibly, every container and then every volume
// carrying all of labels: the cleanup of a test or benchmark that may have
// been interrupted half-way.
func RemoveLabelled(ctx context.Context, cli *client.Client, labels ...string) error {
	cs, vs, err := Labelled(ctx, cli, labels...)
	if err != nil {
		return err
	}
	var first error
	for _, c := range cs {
		if _, err := cli.ContainerRemove(ctx, c, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !errdefs.IsNotFound(err) && first == nil {
			first = fmt.Errorf("remove container %s: %w", c, err)
		}
	}
	for _, v := range vs {
		if _, err := cli.VolumeRemove(ctx, v, client.VolumeRemoveOptions{Force: true}); err != nil && !errdefs.IsNotFound(err) && first == nil {
			first = fmt.Errorf("remove volume %s: %w", v, err)
		}
	}
	return first
}
