package docker_test

import (
	"bufio"
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/plugins/runtime-docker/docker"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// desktopImage is the real desktop session image (images/desktop), built by
// `make images`.
const desktopImage = "atrium/desktop:1"

// TestSessionHasNoPrivileges starts the real desktop image through the
// runtime and checks that its processes hold no capability, cannot gain one
// (no_new_privs), and that the desktop still serves VNC that way.
func TestSessionHasNoPrivileges(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := engine.ImageInspect(ctx, desktopImage); err != nil {
		t.Fatalf("%s is not built; build it with `make images`: %v", desktopImage, err)
	}
	rt := newRuntime(t, docker.TunnelModeEndpoint)
	s := newSession(t, rt, "u-caps-"+runID)
	home := "atrium-test-home-" + randomHex(4)
	removeVolumeAtEnd(t, "atrium-home-"+home)
	spec := launch.Spec{
		Image:      desktopImage,
		User:       "1000:1000",
		HomeVolume: home,
		HomePath:   "/home/atrium",
		Secrets:    map[string]string{"ATRIUM_VNC_PASSWORD": "caps-" + randomHex(4)},
		Ports:      []launch.Port{{Name: "vnc", Port: 5900}},
	}
	resp, err := rt.StartSession(ctx, runtime.StartRequest{Session: s, Spec: spec})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}

	c := inspectContainer(t, resp.Handle)
	if !slices.Equal(c.HostConfig.CapDrop, []string{"ALL"}) || len(c.HostConfig.CapAdd) != 0 {
		t.Errorf("CapDrop %v CapAdd %v, want ALL and none", c.HostConfig.CapDrop, c.HostConfig.CapAdd)
	}
	if !slices.Contains(c.HostConfig.SecurityOpt, "no-new-privileges") {
		t.Errorf("SecurityOpt %v lacks no-new-privileges", c.HostConfig.SecurityOpt)
	}

	conn := dialWhenReady(t, rt, s.ID, resp.Handle, 5900)
	defer conn.Close()
	greeting, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || greeting != "RFB 003.008\n" {
		t.Fatalf("RFB greeting %q, %v; want RFB 003.008", greeting, err)
	}

	// What the kernel says about the desktop's processes: Xvnc is pid 1's
	// child, and every process must show empty capability sets. A process
	// that exits between the glob and its read (a desktop still starting)
	// is skipped rather than failing the read.
	status := execIn(t, ctx, c.ID, "sh", "-c", `for f in /proc/[0-9]*/status; do cat "$f" 2>/dev/null; done; true`)
	procs := 0
	for _, line := range strings.Split(status, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Name":
			procs++
		case "CapEff", "CapPrm", "CapBnd", "CapAmb":
			if v != "0000000000000000" {
				t.Errorf("process %d has %s %s, want none", procs, k, v)
			}
		case "NoNewPrivs":
			if v != "1" {
				t.Errorf("process %d has NoNewPrivs %s, want 1", procs, v)
			}
		}
	}
	if procs < 3 {
		t.Fatalf("read the status of %d processes, want the desktop's (Xvnc, openbox, xterm …):\n%s", procs, status)
	}
	t.Logf("%d processes of the desktop hold no capability", procs)
}

// execIn runs a command in a container through the docker CLI, which talks
// to the same engine, and returns its output.
func execIn(t *testing.T, ctx context.Context, id string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, "docker", append([]string{"exec", id}, args...)...)
	cmd.Env = append(cmd.Environ(), "DOCKER_HOST="+engine.DaemonHost())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker exec %v: %v", args, err)
	}
	return string(out)
}
