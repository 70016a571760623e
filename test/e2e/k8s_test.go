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

// The desktop templates on the two Kubernetes runtime blocks.
const (
	k8sTemplate  = "desktop-k8s"
	k8sTemplateB = "desktop-k8s-b"
)

// k8sPluginHCL declares the built runtime-k8s plugin as "k8s".
func k8sPluginHCL(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf(`
plugin "k8s" {
  path   = %q
  sha256 = %q
}
`, bins.runtimeK8s, sha256File(t, bins.runtimeK8s))
}

// k8sRuntimeHCL is a runtime block name on the "k8s" plugin in namespace
// ns of the test cluster, in endpoint mode: the core dials pods from the
// node's pod bridge, the CIDR's first address (k8s-up.sh), which the
// runtime's NetworkPolicy admits alone. extraConfig goes in its config.
func k8sRuntimeHCL(t *testing.T, cl *k8stest.Cluster, name, ns, extraConfig string) string {
	t.Helper()
	var nets []string
	for _, n := range cl.PodNetworks(t) {
		nets = append(nets, fmt.Sprintf("%q", n.String()))
	}
	first := cl.PodNetworks(t)[0].IP.To4()
	bridge := fmt.Sprintf("%d.%d.%d.%d/32", first[0], first[1], first[2], first[3]+1)
	return fmt.Sprintf(`
runtime %q {
  plugin   = "k8s"
  networks = [%s]
  config {
    kubeconfig        = %q
    namespace         = %q
    image_pull_policy = "Never"
    request_ratio     = 0.1
    home_size         = "1Gi"
    core_cidrs        = [%q]
%s  }
}
`, name, strings.Join(nets, ", "), cl.Kubeconfig, ns, bridge, extraConfig)
}

// k8sTemplateHCL is a desktop template name on runtime, one CPU and 1 GiB,
// with extra attributes added.
func k8sTemplateHCL(name, runtime, extra string) string {
	return fmt.Sprintf(`
template %q {
  workspace = "desktop"
  runtime   = %q
  cpu       = 1
  memory    = "1GiB"
%s}
`, name, runtime, extra)
}

// startK8sCore starts a desktop core whose runtime "k8s" runs in
// namespace ns (extraConfig in its config), with template k8sTemplate on
// it and templates added.
func startK8sCore(t *testing.T, cl *k8stest.Cluster, ns, extraConfig, templates string) *desktopCore {
	t.Helper()
	return startDesktopCoreWith(t, emptyDatabase(t), "", k8sPluginHCL(t)+
		k8sRuntimeHCL(t, cl, "k8s", ns, extraConfig)+k8sTemplateHCL(k8sTemplate, "k8s", "")+templates, true)
}

// TestDesktopOnKubernetes runs one core with three runtime blocks, Docker
// and two Kubernetes namespaces: a desktop on each at once, all reached
// through the core's relay with the VNC password the image read from its
// secret file. One Kubernetes desktop is hibernated (its pod goes, its home
// claim stays) and resumed in a new pod; its pod is then deleted behind
// Atrium's back, which fails the session saying so; deleted with its home,
// it leaves nothing of it in the namespace.
func TestDesktopOnKubernetes(t *testing.T) {
	cl := k8stest.Require(t)
	ns := cl.Namespace(t, "e2e")
	nsB := cl.Namespace(t, "e2e-b")
	dc := startDesktopCoreWith(t, emptyDatabase(t), "", k8sPluginHCL(t)+
		k8sRuntimeHCL(t, cl, "k8s", ns, "")+k8sTemplateHCL(k8sTemplate, "k8s", "")+
		k8sRuntimeHCL(t, cl, "k8s-b", nsB, "")+k8sTemplateHCL(k8sTemplateB, "k8s-b", ""), true)

	onDocker, err := dc.admin.CreateSession(ctxT(t, 30*time.Second), harness.DesktopTemplate)
	if err != nil {
		t.Fatal(err)
	}
	onK8s, err := dc.admin.CreateSession(ctxT(t, 30*time.Second), k8sTemplate)
	if err != nil {
		t.Fatal(err)
	}
	onK8sB, err := dc.admin.CreateSession(ctxT(t, 30*time.Second), k8sTemplateB)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []harness.Session{onDocker, onK8s, onK8sB} {
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
	if _, err := cl.Client.CoreV1().Pods(nsB).Get(ctxT(t, 30*time.Second), "atrium-"+onK8sB.ID, metav1.GetOptions{}); err != nil {
		t.Errorf("the second Kubernetes runtime's session has no pod in its namespace %s: %v", nsB, err)
	}
	if _, err := pods.Get(ctxT(t, 30*time.Second), "atrium-"+onK8sB.ID, metav1.GetOptions{}); err == nil {
		t.Errorf("the second Kubernetes runtime's session runs in the first runtime's namespace")
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

	// Someone deletes the pod behind Atrium's back: the session fails,
	// saying so, within seconds.
	zero := int64(0)
	began := time.Now()
	if err := pods.Delete(ctxT(t, 30*time.Second), pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	failed, err := dc.admin.WaitState(ctxT(t, desktopTimeout), onK8s.ID, "failed")
	if err != nil || !strings.Contains(failed.Error, "outside Atrium") {
		t.Fatalf("after its pod was deleted the session reads %+v (%v); want failed, saying the pod was deleted outside Atrium", failed, err)
	}
	t.Logf("failed %s after the pod's deletion: %s", time.Since(began).Round(time.Millisecond), failed.Error)

	// The home is the user's, whatever the runtime: no session of theirs
	// may run while it is removed.
	for _, s := range []harness.Session{onDocker, onK8sB} {
		if err := dc.admin.Delete(ctxT(t, 30*time.Second), s.ID, false); err != nil {
			t.Fatal(err)
		}
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
	// Nothing of the session is left in its namespace.
	sel := metav1.ListOptions{LabelSelector: "atrium.session=" + onK8s.ID}
	if l, err := pods.List(ctxT(t, 30*time.Second), sel); err != nil || len(l.Items) > 0 {
		t.Errorf("pods of the deleted session remain: %d (%v)", len(l.Items), err)
	}
	if l, err := cl.Client.CoreV1().Secrets(ns).List(ctxT(t, 30*time.Second), sel); err != nil || len(l.Items) > 0 {
		t.Errorf("Secrets of the deleted session remain: %d (%v)", len(l.Items), err)
	}
}
