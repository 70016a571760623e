package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-hq/atrium/test/harness"
	"github.com/atrium-hq/atrium/test/k8stest"
)

// k8sTemplate is the desktop template on the Kubernetes runtime.
const k8sTemplate = "desktop-k8s"

// TestDesktopOnKubernetes runs one core with two runtime blocks, Docker and
// Kubernetes: a desktop on each at once, both reached through the core's
// relay with the VNC password the image read from its secret file. The
// Kubernetes one is hibernated (its pod goes, its home claim stays) and
// resumed, then deleted with its home.
func TestDesktopOnKubernetes(t *testing.T) {
	cl := k8stest.Require(t)
	ns := cl.Namespace(t, "e2e")
	var nets []string
	for _, n := range cl.PodNetworks(t) {
		nets = append(nets, fmt.Sprintf("%q", n.String()))
	}
	sum := sha256File(t, bins.runtimeK8s)
	dc := startDesktopCoreWith(t, emptyDatabase(t), "", fmt.Sprintf(`
plugin "k8s" {
  path   = %q
  sha256 = %q
}

runtime "k8s" {
  plugin   = "k8s"
  networks = [%s]
  config {
    kubeconfig        = %q
    namespace         = %q
    image_pull_policy = "Never"
    request_ratio     = 0.1
    home_size         = "1Gi"
  }
}

template %q {
  workspace = "desktop"
  runtime   = "k8s"
  cpu       = 1
  memory    = "1GiB"
}
`, bins.runtimeK8s, sum, strings.Join(nets, ", "), cl.Kubeconfig, ns, k8sTemplate), true)

	onDocker, err := dc.admin.CreateSession(ctxT(t, 30*time.Second), harness.DesktopTemplate)
	if err != nil {
		t.Fatal(err)
	}
	onK8s, err := dc.admin.CreateSession(ctxT(t, 30*time.Second), k8sTemplate)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []harness.Session{onDocker, onK8s} {
		if _, err := dc.admin.WaitState(ctxT(t, desktopTimeout), s.ID, "running"); err != nil {
			t.Fatal(err)
		}
		openDesktop(t, dc.admin, s.ID)
	}

	pods := cl.Client.CoreV1().Pods(ns)
	pod, err := pods.Get(ctxT(t, 30*time.Second), "atrium-"+onK8s.ID, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Kubernetes session's pod: %v", err)
	}
	for _, e := range pod.Spec.Containers[0].Env {
		if strings.Contains(e.Name, "PASSWORD") || e.ValueFrom != nil {
			t.Errorf("the pod's environment carries %s; secrets must be files", e.Name)
		}
	}
	if pod.Labels["atrium.session"] != onK8s.ID || pod.Labels["atrium.install"] == "" {
		t.Errorf("pod labels %v lack the session or the installation", pod.Labels)
	}
	claim := "atrium-home-" + pod.Labels["atrium.user"]
	claims := cl.Client.CoreV1().PersistentVolumeClaims(ns)

	if err := dc.admin.Action(ctxT(t, 30*time.Second), onK8s.ID, "hibernate"); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.admin.WaitState(ctxT(t, desktopTimeout), onK8s.ID, "hibernated"); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Get(ctxT(t, 30*time.Second), pod.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the pod of a hibernated session still exists (%v)", err)
	}
	if _, err := claims.Get(ctxT(t, 30*time.Second), claim, metav1.GetOptions{}); err != nil {
		t.Fatalf("the home claim of a hibernated session: %v", err)
	}
	if err := dc.admin.Action(ctxT(t, 30*time.Second), onK8s.ID, "resume"); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.admin.WaitState(ctxT(t, desktopTimeout), onK8s.ID, "running"); err != nil {
		t.Fatal(err)
	}
	openDesktop(t, dc.admin, onK8s.ID)
	again, err := pods.Get(ctxT(t, 30*time.Second), pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.UID == pod.UID {
		t.Error("the resumed session runs in the hibernated pod; resume must create it anew")
	}

	// The home is the user's, whatever the runtime: no session of theirs
	// may run while it is removed.
	if err := dc.admin.Delete(ctxT(t, 30*time.Second), onDocker.ID, false); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(desktopTimeout)
	for {
		err := dc.admin.Delete(ctxT(t, 30*time.Second), onK8s.ID, true)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "home-in-use") || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // the Docker session is still stopping
	}
	for {
		c, err := claims.Get(ctxT(t, 30*time.Second), claim, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && c.DeletionTimestamp != nil) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the home claim %s outlived the session's deletion with remove_home (%v)", claim, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
