package docker_test

import (
	"archive/tar"
	"context"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/plugins/runtime-docker/docker"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// TestContainerSpec checks what the container looks like to Docker: labels,
// limits, user, environment, network, and no ports on the host.
func TestContainerSpec(t *testing.T) {
	rt := newRuntime(t, docker.TunnelModeEndpoint)
	s := newSession(t, rt, "u-spec-"+runID)
	s.Labels["team"] = "blue"
	spec := echoSpec()
	spec.Env = map[string]string{"GREETING": "hello"}
	spec.Secrets = map[string]string{"TOKEN": "s3cret"}
	spec.Resources = launch.Resources{CPU: 0.5, MemoryBytes: 64 << 20, Pids: 64}
	spec.User = "1000:1000"
	spec.WorkingDir = "/"

	began := time.Now()
	resp, err := rt.StartSession(ctxT(t), runtime.StartRequest{Session: s, Spec: spec})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	startTook := time.Since(began)
	conn := dialWhenReady(t, rt, s.ID, resp.Handle, echoPort)
	if err := probeEcho(conn); err != nil {
		t.Fatalf("echo through Dial: %v", err)
	}
	_ = conn.Close()
	t.Logf("StartSession took %s; the echo server answered %s after StartSession began", startTook.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

	c := inspectContainer(t, resp.Handle)
	wantLabels := map[string]string{
		docker.LabelManaged:  "true",
		docker.LabelSession:  s.ID,
		docker.LabelUser:     s.UserID,
		docker.LabelOrg:      s.OrgID,
		docker.LabelTemplate: s.Template,
		"team":               "blue",
		"atrium-test-run":    runID,
	}
	for k, v := range wantLabels {
		if got := c.Config.Labels[k]; got != v {
			t.Errorf("label %s = %q, want %q", k, got, v)
		}
	}
	hc := c.HostConfig
	if hc.NanoCPUs != 500_000_000 {
		t.Errorf("NanoCPUs = %d, want 500000000", hc.NanoCPUs)
	}
	if hc.Memory != 64<<20 {
		t.Errorf("Memory = %d, want %d", hc.Memory, 64<<20)
	}
	if hc.PidsLimit == nil || *hc.PidsLimit != 64 {
		t.Errorf("PidsLimit = %v, want 64", hc.PidsLimit)
	}
	if len(hc.PortBindings) != 0 || hc.PublishAllPorts {
		t.Errorf("container publishes ports on the host: %v (publish all %v)", hc.PortBindings, hc.PublishAllPorts)
	}
	if got := c.NetworkSettings.Ports; len(got) > 0 {
		for p, b := range got {
			if len(b) > 0 {
				t.Errorf("port %v is bound on the host: %v", p, b)
			}
		}
	}
	var nets []string
	for name := range c.NetworkSettings.Networks {
		nets = append(nets, name)
	}
	if !slices.Equal(nets, []string{testNetwork}) {
		t.Errorf("container is on networks %v, want only %s", nets, testNetwork)
	}
	if c.Config.User != "1000:1000" || c.Config.WorkingDir != "/" {
		t.Errorf("user %q workdir %q, want 1000:1000 and /", c.Config.User, c.Config.WorkingDir)
	}
	if !slices.Contains(c.Config.Env, "GREETING=hello") {
		t.Errorf("env %v lacks GREETING", c.Config.Env)
	}
	for _, kv := range c.Config.Env {
		if strings.Contains(kv, "s3cret") || strings.HasPrefix(kv, "TOKEN=") {
			t.Errorf("the secret TOKEN is in the container's environment, where docker inspect shows it")
		}
	}
	checkSecretFile(t, c.ID, "TOKEN", "s3cret", 1000)
	if hc.RestartPolicy.Name != "no" {
		t.Errorf("restart policy %q, want no: the core decides about restarts", hc.RestartPolicy.Name)
	}

	ep, err := rt.TunnelEndpoint(ctxT(t), runtime.TunnelRequest{SessionID: s.ID, Handle: resp.Handle, Port: echoPort})
	if err != nil {
		t.Fatalf("TunnelEndpoint: %v", err)
	}
	ip := c.NetworkSettings.Networks[testNetwork].IPAddress.String()
	if !strings.HasPrefix(ep.Address, ip+":") || !netip.MustParsePrefix(testSubnet).Contains(netip.MustParseAddr(ip)) {
		t.Errorf("endpoint %s, want the container's address %s on %s", ep.Address, ip, testSubnet)
	}
}

// TestStartIsIdempotent starts the same session twice: a running container
// is reused, a dead one is replaced, and one container is left either way.
func TestStartIsIdempotent(t *testing.T) {
	rt := newRuntime(t, docker.TunnelModeEndpoint)
	s := newSession(t, rt, "u-idem-"+runID)
	req := runtime.StartRequest{Session: s, Spec: echoSpec()}
	first, err := rt.StartSession(ctxT(t), req)
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	again, err := rt.StartSession(ctxT(t), req)
	if err != nil {
		t.Fatalf("StartSession again: %v", err)
	}
	if again.Status.InstanceID != first.Status.InstanceID {
		t.Errorf("second StartSession of a running session made instance %q, want the running %q", again.Status.InstanceID, first.Status.InstanceID)
	}

	c := inspectContainer(t, first.Handle)
	if _, err := engine.ContainerKill(ctxT(t), c.ID, client.ContainerKillOptions{}); err != nil {
		t.Fatalf("docker kill: %v", err)
	}
	waitState(t, rt, s.ID, first.Handle, "exited", func(st runtime.Status) bool { return st.State == runtime.StateExited })
	third, err := rt.StartSession(ctxT(t), req)
	if err != nil {
		t.Fatalf("StartSession after the container died: %v", err)
	}
	if third.Status.InstanceID == first.Status.InstanceID {
		t.Error("StartSession after the container died reused it")
	}
	f := make(client.Filters).Add("label", docker.LabelSession+"="+s.ID)
	list, err := engine.ContainerList(ctxT(t), client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Errorf("%d containers carry the session's label, want 1", len(list.Items))
	}
}

// TestMissingImage names the image and the way to build it.
func TestMissingImage(t *testing.T) {
	rt := newRuntime(t, docker.TunnelModeEndpoint)
	s := newSession(t, rt, "u-img-"+runID)
	_, err := rt.StartSession(ctxT(t), runtime.StartRequest{Session: s, Spec: launch.Spec{Image: "atrium-test/absent:" + runID}})
	if err == nil {
		t.Fatal("StartSession with an image the engine lacks succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "atrium-test/absent:"+runID+" not found") || !strings.Contains(msg, "make images") {
		t.Errorf("error %q does not name the missing image and how to build it", msg)
	}
}

// checkSecretFile reads SecretsDir/name from the container: it must hold
// want, belong to uid and be readable by it alone.
func checkSecretFile(t *testing.T, id, name, want string, uid int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := engine.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: docker.SecretsDir + "/" + name})
	if err != nil {
		t.Fatalf("the secret file %s/%s: %v", docker.SecretsDir, name, err)
	}
	defer res.Content.Close()
	tr := tar.NewReader(res.Content)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatalf("read the secret file's archive: %v", err)
	}
	body, _ := io.ReadAll(tr)
	if string(body) != want {
		t.Errorf("the secret file holds %d bytes, not the secret", len(body))
	}
	if hdr.Uid != uid || hdr.Mode&0o077 != 0 {
		t.Errorf("the secret file belongs to uid %d with mode %o, want uid %d and no access for group or others", hdr.Uid, hdr.Mode&0o777, uid)
	}
}
