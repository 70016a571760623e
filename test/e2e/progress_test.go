package e2e

import (
	"regexp"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/harness"
	"github.com/atrium-hq/atrium/test/k8stest"
)

// phase is one start phase expected on the event stream and its message.
type phase struct {
	phase string
	msg   *regexp.Regexp
}

// assertPhases checks that got, the session's progress events before
// running, are exactly want, in order, all while starting.
func assertPhases(t *testing.T, got []harness.Change, want []phase) {
	t.Helper()
	var names []string
	for _, w := range want {
		names = append(names, w.phase)
	}
	if len(got) != len(want) {
		t.Fatalf("progress %+v, want phases %v", got, names)
	}
	for i, w := range want {
		if got[i].State != "starting" || got[i].StartPhase != w.phase || !w.msg.MatchString(got[i].StartMessage) {
			t.Errorf("progress %d = %+v, want %s matching %s while starting", i, got[i], w.phase, w.msg)
		}
	}
}

// A desktop start on Docker, through the built core, announces its phases
// on the owner's event stream in order: runtime-docker's image_ready and
// container_started, then the core's own waiting_for_app, then running.
func TestDesktopStartPhasesOnEventStream(t *testing.T) {
	dc := startDesktopCore(t)
	ev, err := dc.admin.Events(ctxT(t, desktopTimeout))
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	s, err := dc.admin.CreateSession(ctxT(t, 30*time.Second), harness.DesktopTemplate)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ev.Progress(ctxT(t, desktopTimeout), s.ID, "running")
	if err != nil {
		t.Fatalf("%v; progress so far %+v", err, got)
	}
	assertPhases(t, got, []phase{
		{"image_ready", regexp.MustCompile(`^image \S+ is present$`)},
		{"container_started", regexp.MustCompile(`^container atrium-` + s.ID + ` started$`)},
		{"waiting_for_app", regexp.MustCompile(`^waiting for Linux desktop to answer$`)},
	})
	run, err := dc.admin.Session(ctxT(t, 30*time.Second), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.State != "running" {
		t.Fatalf("session is %s after the stream said running", run.State)
	}
}

// A desktop start on Kubernetes, through the built core, announces its
// phases on the owner's event stream in order: runtime-k8s's scheduled,
// image_ready and container_started, then the core's waiting_for_app.
func TestKubernetesStartPhasesOnEventStream(t *testing.T) {
	cl := k8stest.Require(t)
	ns := cl.Namespace(t, "e2e-phases")
	dc := startK8sCore(t, cl, ns, "", "")
	ev, err := dc.admin.Events(ctxT(t, desktopTimeout))
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	s, err := dc.admin.CreateSession(ctxT(t, 30*time.Second), k8sTemplate)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ev.Progress(ctxT(t, desktopTimeout), s.ID, "running")
	if err != nil {
		t.Fatalf("%v; progress so far %+v", err, got)
	}
	pod := regexp.QuoteMeta("atrium-" + s.ID)
	assertPhases(t, got, []phase{
		{"scheduled", regexp.MustCompile(`^pod ` + pod + ` scheduled to node ` + k8stest.NodeName + `$`)},
		{"image_ready", regexp.MustCompile(`^image \S+ is on node ` + k8stest.NodeName + `$`)},
		{"container_started", regexp.MustCompile(`^container started in pod ` + pod + `$`)},
		{"waiting_for_app", regexp.MustCompile(`^waiting for Linux desktop to answer$`)},
	})
	if err := dc.admin.Delete(ctxT(t, 30*time.Second), s.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.admin.WaitState(ctxT(t, desktopTimeout), s.ID, "deleted"); err != nil {
		t.Fatal(err)
	}
}
