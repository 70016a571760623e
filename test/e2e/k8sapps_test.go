package e2e

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-hq/atrium/test/k8stest"
)

// TestAppsOnKubernetesThroughTheProxy: a VS Code and a Jupyter session on
// the Kubernetes runtime, created through the API, run as pods in the
// test's namespace and are used through the core's app proxy in origin
// isolation mode, as useAppsThroughTheProxy describes: code-server's page
// and WebSocket, a Jupyter kernel computing 1+1, and refusals without the
// app cookie. Deleted with their home, they leave nothing in the
// namespace.
func TestAppsOnKubernetesThroughTheProxy(t *testing.T) {
	cl := k8stest.Require(t)
	ns := cl.Namespace(t, "e2e-apps")
	dc := startDesktopCoreWith(t, emptyDatabase(t), appDomainHCL, k8sPluginHCL(t)+
		k8sRuntimeHCL(t, cl, "k8s", ns, "")+appsHCL(t, "k8s"), true)

	code, jupyter := startApps(t, dc.admin)
	for _, s := range []string{code.ID, jupyter.ID} {
		if _, err := cl.Client.CoreV1().Pods(ns).Get(ctxT(t, 30*time.Second), "atrium-"+s, metav1.GetOptions{}); err != nil {
			t.Fatalf("session %s runs, but not as a pod in namespace %s: %v", s, ns, err)
		}
	}
	useAppsThroughTheProxy(t, dc.admin, code, jupyter)

	deleteKeepThenRemove(t, dc.admin, code.ID, jupyter.ID)
	assertK8sGone(t, cl, ns)
}
