package e2e

import (
	"regexp"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/harness"
)

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
	want := []struct {
		phase string
		msg   *regexp.Regexp
	}{
		{"image_ready", regexp.MustCompile(`^image \S+ is present$`)},
		{"container_started", regexp.MustCompile(`^container atrium-` + s.ID + ` started$`)},
		{"waiting_for_app", regexp.MustCompile(`^waiting for Linux desktop to answer$`)},
	}
	if len(got) != len(want) {
		t.Fatalf("progress %+v, want phases image_ready, container_started, waiting_for_app", got)
	}
	for i, w := range want {
		if got[i].State != "starting" || got[i].StartPhase != w.phase || !w.msg.MatchString(got[i].StartMessage) {
			t.Errorf("progress %d = %+v, want %s matching %s while starting", i, got[i], w.phase, w.msg)
		}
	}
	run, err := dc.admin.Session(ctxT(t, 30*time.Second), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.State != "running" {
		t.Fatalf("session is %s after the stream said running", run.State)
	}
}
