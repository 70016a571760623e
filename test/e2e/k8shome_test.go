package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-hq/atrium/test/k8stest"
)

// TestDesktopOnKubernetesKeepsItsHome: a desktop on Kubernetes created by
// the API runs, keys typed through the core's relay run a command in its
// terminal that writes a file in the home folder, and after a stop a new
// session of the same user, in a new pod, sees that file on the user's
// home claim. Deleted with remove_home, the sessions leave no pod, claim
// or Secret in the namespace.
func TestDesktopOnKubernetesKeepsItsHome(t *testing.T) {
	cl := k8stest.Require(t)
	ns := cl.Namespace(t, "e2e-home")
	dc := startK8sCore(t, cl, ns, "", "")
	readProof := func(id string) func(context.Context) ([]byte, error) {
		return func(ctx context.Context) ([]byte, error) {
			return cl.ReadFile(ctx, ns, "atrium-"+id, proofPath)
		}
	}

	s1 := startSessionOf(t, dc.admin, k8sTemplate)
	d := openDesktop(t, dc.admin, s1.ID)
	writeProof(t, d, readProof(s1.ID))
	_ = d.Close()

	if err := dc.admin.Action(ctxT(t, 30*time.Second), s1.ID, "stop"); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.admin.WaitState(ctxT(t, desktopTimeout), s1.ID, "stopped"); err != nil {
		t.Fatal(err)
	}
	pods := cl.Client.CoreV1().Pods(ns)
	if _, err := pods.Get(ctxT(t, 30*time.Second), "atrium-"+s1.ID, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the stopped session's pod still exists (%v)", err)
	}

	s2 := startSessionOf(t, dc.admin, k8sTemplate)
	if s2.ID == s1.ID {
		t.Fatal("the new session has the stopped one's id")
	}
	b, err := readProof(s2.ID)(ctxT(t, 30*time.Second))
	if err != nil || string(b) != proofContent {
		t.Fatalf("the new session's %s holds %q (%v); want %q, written in the stopped session", proofPath, b, err, proofContent)
	}
	_ = openDesktop(t, dc.admin, s2.ID).Close()

	deleteKeepThenRemove(t, dc.admin, s1.ID, s2.ID)
	assertK8sGone(t, cl, ns)
}

// assertK8sGone checks that, within a bound, namespace ns holds no pod,
// no claim and no Secret the plugin made (the namespace is the test's
// own, so any is a session's leftover). A claim being deleted counts as
// gone: its finalizer may hold it a moment after the pod's end.
func assertK8sGone(t *testing.T, cl *k8stest.Cluster, ns string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var left []string
		ctx := ctxT(t, 30*time.Second)
		pl, err := cl.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pl.Items {
			left = append(left, "pod "+p.Name)
		}
		cls, err := cl.Client.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cls.Items {
			if c.DeletionTimestamp == nil {
				left = append(left, "claim "+c.Name)
			}
		}
		sl, err := cl.Client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "atrium.session"})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sl.Items {
			left = append(left, "secret "+s.Name)
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("60 s after the sessions' deletion namespace %s still holds %s", ns, strings.Join(left, ", "))
		}
		time.Sleep(250 * time.Millisecond)
	}
}
