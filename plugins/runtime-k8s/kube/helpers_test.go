package kube_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/plugins/runtime-k8s/kube"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/test/k8stest"
)

// The tests run real pods on the local test cluster (scripts/k8s-up.sh),
// each in a namespace of its own that is deleted when it ends.
const (
	echoPort     = 7000
	greetingKey  = "GREETING"
	stepTimeout  = 90 * time.Second
	homePath     = "/home/atrium"
	testInstance = "k8s-test"
)

// world is one test's cluster, namespace and configured plugin.
type world struct {
	t   *testing.T
	cl  *k8stest.Cluster
	ns  string
	cfg map[string]any
	rt  *kube.Runtime
}

// newWorld configures a plugin on a fresh namespace; extra overrides the
// config.
func newWorld(t *testing.T, extra map[string]any) *world {
	t.Helper()
	cl := k8stest.Require(t)
	w := &world{t: t, cl: cl, ns: cl.Namespace(t, "rtk8s")}
	w.cfg = map[string]any{
		"kubeconfig":        cl.Kubeconfig,
		"namespace":         w.ns,
		"image_pull_policy": "Never",
		"request_ratio":     0.05,
		"stop_timeout":      "2s",
		"core_cidrs":        []string{hostCIDR(t, cl)},
	}
	for k, v := range extra {
		w.cfg[k] = v
	}
	w.rt = kube.New()
	configure(t, w)
	return w
}

// configure configures w's plugin with w's config.
func configure(t *testing.T, w *world) {
	t.Helper()
	if _, err := w.rt.Configure(ctxT(t), plugin.ConfigureRequest{Config: w.config(), Instance: testInstance}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
}

func (w *world) config() json.RawMessage {
	b, err := json.Marshal(w.cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	return b
}

// echoSpec is a session that greets each connection with its secret, read
// from the file the plugin mounts, then echoes what it gets.
func echoSpec(greeting string) launch.Spec {
	return launch.Spec{
		Image: k8stest.ToolsImage,
		Command: []string{"nc", "-ll", "-p", fmt.Sprint(echoPort), "-e", "sh", "-c",
			"cat " + kube.SecretsDir + "/" + greetingKey + "; echo; exec cat"},
		Secrets:   map[string]string{greetingKey: greeting},
		Ports:     []launch.Port{{Name: "echo", Port: echoPort}},
		Resources: launch.Resources{CPU: 0.5, MemoryBytes: 64 << 20},
	}
}

// probeGreeting checks that conn greets with want, then echoes.
func probeGreeting(want string) func(net.Conn) error {
	return func(conn net.Conn) error {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(conn)
		line, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("read greeting: %w", err)
		}
		if got := strings.TrimSpace(line); got != want {
			return fmt.Errorf("greeting %q, want %q (the secret file)", got, want)
		}
		payload := make([]byte, 4096)
		_, _ = rand.Read(payload)
		payload = []byte(hex.EncodeToString(payload))
		if _, err := conn.Write(payload); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		got := make([]byte, len(payload))
		if _, err := io.ReadFull(br, got); err != nil {
			return fmt.Errorf("read echo: %w", err)
		}
		if !bytes.Equal(got, payload) {
			return fmt.Errorf("echo returned different bytes")
		}
		return nil
	}
}

func session(id string) runtime.Session {
	return runtime.Session{ID: id, UserID: "user-" + id, OrgID: "org-1", Template: "echo",
		Labels: map[string]string{"atrium.install": "test"}}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	t.Cleanup(cancel)
	return ctx
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "s-" + hex.EncodeToString(b)
}

// waitState polls InspectSession until ok accepts the status.
func (w *world) waitState(id string, want string, ok func(runtime.Status) bool) runtime.Status {
	w.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	var last runtime.Status
	for time.Now().Before(deadline) {
		res, err := w.rt.InspectSession(ctxT(w.t), runtime.InspectRequest{SessionID: id})
		if err != nil {
			w.t.Fatalf("InspectSession: %v", err)
		}
		if last = res.Status; ok(last) {
			return last
		}
		time.Sleep(200 * time.Millisecond)
	}
	w.t.Fatalf("session %s never became %s; last status %s: %s", id, want, last.State, last.Message)
	return last
}

// dialEndpoint dials the session's port as the core would.
func (w *world) dialEndpoint(id string) net.Conn {
	w.t.Helper()
	ep, err := w.rt.TunnelEndpoint(ctxT(w.t), runtime.TunnelRequest{SessionID: id, Port: echoPort})
	if err != nil {
		w.t.Fatalf("TunnelEndpoint: %v", err)
	}
	var conn net.Conn
	for i := 0; i < 50; i++ {
		if conn, err = net.DialTimeout("tcp", ep.Address, 2*time.Second); err == nil {
			return conn
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.t.Fatalf("dial %s: %v", ep.Address, err)
	return nil
}

// readAll reads conn until the session closes it.
func readAll(t *testing.T, conn net.Conn) string {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	if err != nil && len(b) == 0 {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

// hostCIDR is where this process reaches pods from: the node's pod bridge,
// the first address of its pod CIDR (k8s-up.sh), as a /32.
func hostCIDR(t *testing.T, cl *k8stest.Cluster) string {
	t.Helper()
	n := cl.PodNetworks(t)[0]
	ip := n.IP.To4()
	if ip == nil {
		t.Fatalf("pod network %s is not IPv4", n)
	}
	return fmt.Sprintf("%d.%d.%d.%d/32", ip[0], ip[1], ip[2], ip[3]+1)
}
