package e2e

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-hq/atrium/test/k8stest"
)

// The faulty templates: an image no node has, and more CPU than the node.
const (
	k8sMissingImage   = "docker.io/atrium/does-not-exist:1"
	k8sStartTimeout   = 15 * time.Second
	k8sTemplateNoImg  = "desktop-k8s-noimage"
	k8sTemplateTooBig = "desktop-k8s-toobig"
)

// TestKubernetesStartFailures: through the core, a template whose image
// does not exist ends `failed` naming the image, and one asking for more
// CPU than the node has ends `failed` after the runtime's start_timeout
// with a reason that quotes the scheduler; neither leaves a pod or Secret
// of its session in the namespace.
func TestKubernetesStartFailures(t *testing.T) {
	cl := k8stest.Require(t)
	ns := cl.Namespace(t, "e2e-faults")
	dc := startK8sCore(t, cl, ns, `    start_timeout     = "`+k8sStartTimeout.String()+`"
`, k8sTemplateHCL(k8sTemplateNoImg, "k8s", `  image = "`+k8sMissingImage+`"
`)+
		// request_ratio 0.1: 640 CPUs ask for 64, far past the node's.
		strings.Replace(k8sTemplateHCL(k8sTemplateTooBig, "k8s", ""), "cpu       = 1\n", "cpu       = 640\n", 1))

	for _, c := range []struct {
		template, want string
		atLeast        time.Duration
	}{
		{k8sTemplateNoImg, k8sMissingImage, 0},
		{k8sTemplateTooBig, "Insufficient cpu", k8sStartTimeout},
	} {
		began := time.Now()
		s, err := dc.admin.CreateSession(ctxT(t, 30*time.Second), c.template)
		if err != nil {
			t.Fatal(err)
		}
		failed, err := dc.admin.WaitState(ctxT(t, desktopTimeout), s.ID, "failed", "running")
		took := time.Since(began)
		if err != nil || failed.State != "failed" || !strings.Contains(failed.Error, c.want) {
			t.Fatalf("%s: the session reads %q %q (%v); want failed, saying %q", c.template, failed.State, failed.Error, err, c.want)
		}
		if took < c.atLeast {
			t.Errorf("%s: failed after %s, before the start timeout %s", c.template, took, c.atLeast)
		}
		t.Logf("%s: failed after %s: %s", c.template, took.Round(time.Millisecond), failed.Error)

		sel := metav1.ListOptions{LabelSelector: "atrium.session=" + s.ID}
		waitFor(t, 60*time.Second, "the failed session's pod and Secret to go", func() bool {
			pl, err := cl.Client.CoreV1().Pods(ns).List(ctxT(t, 30*time.Second), sel)
			if err != nil {
				t.Fatal(err)
			}
			sl, err := cl.Client.CoreV1().Secrets(ns).List(ctxT(t, 30*time.Second), sel)
			if err != nil {
				t.Fatal(err)
			}
			return len(pl.Items) == 0 && len(sl.Items) == 0
		})
	}
}
