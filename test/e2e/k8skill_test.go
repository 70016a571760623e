package e2e

import (
	"encoding/json"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/k8stest"
)

// TestKubernetesSessionSurvivesKills: a desktop on Kubernetes stays
// running while its core is killed with SIGKILL and started again, and a
// new relay connection through the new core works; then the runtime-k8s
// plugin process is killed with SIGKILL, the core starts it anew, and the
// session, recovered from its stored handle, is still running and
// connectable.
func TestKubernetesSessionSurvivesKills(t *testing.T) {
	cl := k8stest.Require(t)
	ns := cl.Namespace(t, "e2e-kill")
	dc := startK8sCore(t, cl, ns, "", "")
	s := startSessionOf(t, dc.admin, k8sTemplate)
	_ = openDesktop(t, dc.admin, s.ID).Close()

	dc.restart(t, nil)
	assertRunning := func(when string) {
		t.Helper()
		got, err := dc.admin.Session(ctxT(t, 30*time.Second), s.ID)
		if err != nil || got.State != "running" {
			t.Fatalf("%s the Kubernetes session is %q %s (%v); want running", when, got.State, got.Error, err)
		}
	}
	assertRunning("after a core SIGKILL and restart")
	reconnect(t, dc.admin, s.ID)
	assertRunning("after reconnecting through the restarted core")

	type plugin struct {
		State    string `json:"state"`
		PID      int    `json:"pid"`
		Restarts int    `json:"restarts"`
	}
	get := func() plugin {
		t.Helper()
		code, body, err := dc.admin.Do(ctxT(t, 30*time.Second), http.MethodGet, "/api/v1/plugins/runtime.k8s", nil)
		var p plugin
		if err != nil || code != http.StatusOK || json.Unmarshal(body, &p) != nil {
			t.Fatalf("GET /api/v1/plugins/runtime.k8s: %d %s (%v)", code, body, err)
		}
		return p
	}
	before := get()
	if before.PID == 0 {
		t.Fatalf("the plugin reports no pid: %+v", before)
	}
	if err := syscall.Kill(before.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	waitFor(t, 30*time.Second, "runtime-k8s to be started anew", func() bool {
		p := get()
		return p.State == "healthy" && p.PID != before.PID && p.Restarts > before.Restarts
	})
	t.Logf("runtime-k8s restarted %s after its SIGKILL", time.Since(killed).Round(time.Millisecond))
	reconnect(t, dc.admin, s.ID)
	assertRunning("after the plugin's SIGKILL")

	if err := dc.admin.Delete(ctxT(t, 30*time.Second), s.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.admin.WaitState(ctxT(t, desktopTimeout), s.ID, "deleted"); err != nil {
		t.Fatal(err)
	}
	assertK8sGone(t, cl, ns)
}
