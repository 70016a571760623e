package e2e

import (
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/harness"
)

// The private engine's network for TestEngineRestartStopsSessions: apart
// from the shared engine's test networks and runtime-docker's own test.
const (
	restartNetwork = "atrium-e2e-restart"
	restartHome    = "/home/atrium/engine-restart-marker"
)

var restartSubnet = netip.MustParsePrefix("10.213.78.0/24")

// TestEngineRestartStopsSessions restarts the Docker engine under a core
// with a running desktop (as a package upgrade does, without
// live-restore): the core marks the session stopped, not failed, with a
// reason that says the engine stopped it, the home volume keeps its file,
// and a new desktop of the same user runs and finds the file there. It
// restarts the engine, so it runs only against a private one (make
// test-engine-restart): ATRIUM_TEST_ENGINE_HOST is that engine's
// DOCKER_HOST and ATRIUM_TEST_ENGINE_RESTART the command restarting it.
func TestEngineRestartStopsSessions(t *testing.T) {
	host, restart := os.Getenv("ATRIUM_TEST_ENGINE_HOST"), os.Getenv("ATRIUM_TEST_ENGINE_RESTART")
	if host == "" || restart == "" {
		t.Skip("set ATRIUM_TEST_ENGINE_HOST and ATRIUM_TEST_ENGINE_RESTART to a private engine and the command restarting it (make test-engine-restart)")
	}
	docker := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("docker", append([]string{"-H", host}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker -H %s %s: %v\n%s", host, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	// The private engine has its own image store: copy the desktop image
	// from the shared engine once.
	if exec.Command("docker", "-H", host, "image", "inspect", harness.DesktopImage).Run() != nil {
		began := time.Now()
		if out, err := exec.Command("sh", "-c", "docker save "+harness.DesktopImage+" | docker -H "+host+" load").CombinedOutput(); err != nil {
			t.Fatalf("copy %s into the private engine: %v\n%s", harness.DesktopImage, err, out)
		}
		t.Logf("copied %s into the private engine in %s", harness.DesktopImage, time.Since(began).Round(time.Second))
	}
	b, err := harness.DesktopBins(bins.dir)
	if err != nil {
		t.Fatal(err)
	}
	hcl := harness.DesktopHCL(harness.DesktopConfig{Bins: b, Network: restartNetwork, Subnet: restartSubnet,
		VolumePrefix: desktopVolumePrefix, DockerHost: host})
	path, addr, _ := writeConfigDB(t, `
server {
  listen     = "%[3]s"
  public_url = "http://%[3]s"
  state_dir  = "%[4]s"
}
`+hcl, emptyDatabase(t))
	c := startCore(t, path, addr)
	admin, err := harness.Login(ctxT(t, 30*time.Second), "http://"+c.addr, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	containerOf := func(id string) string {
		return docker("ps", "-q", "--filter", "label="+harness.LabelSession+"="+id)
	}

	s := startSession(t, admin)
	t.Cleanup(func() {
		_ = exec.Command("sh", "-c", "docker -H "+host+" rm -f $(docker -H "+host+" ps -aq --filter label="+harness.LabelUser+"="+s.UserID+") ; docker -H "+host+" volume rm -f "+desktopVolumePrefix+s.UserID).Run()
	})
	docker("exec", containerOf(s.ID), "sh", "-c", "echo before-restart > "+restartHome)

	began := time.Now()
	if out, err := exec.Command("sh", "-c", restart).CombinedOutput(); err != nil {
		t.Fatalf("restart the engine (%s): %v\n%s", restart, err, out)
	}
	t.Logf("engine restarted in %s", time.Since(began).Round(time.Millisecond))
	got, err := admin.WaitState(ctxT(t, time.Minute), s.ID, "stopped", "failed")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the session is %s %s after the restart began: %q", got.State, time.Since(began).Round(time.Millisecond), got.StopReason+got.Error)
	if got.State != "stopped" {
		t.Fatalf("after the engine restart the session is %s (%q), want stopped: the engine stopped it, it did not crash", got.State, got.Error)
	}
	if !strings.Contains(got.StopReason, "runtime restarted") && !strings.Contains(got.StopReason, "stopped outside Atrium") {
		t.Errorf("stop reason %q does not say the runtime stopped it", got.StopReason)
	}
	if docker("volume", "ls", "-q", "--filter", "name="+desktopVolumePrefix+s.UserID) == "" {
		t.Fatalf("home volume %s%s is gone after the engine restart", desktopVolumePrefix, s.UserID)
	}

	again := startSession(t, admin)
	if got := docker("exec", containerOf(again.ID), "cat", restartHome); got != "before-restart" {
		t.Fatalf("the new desktop's home has %q in %s, want the line written before the restart", got, restartHome)
	}
}
