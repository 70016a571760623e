package kube_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-hq/atrium/plugins/runtime-k8s/kube"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// homeSpec writes a file into the home on first start and, on every
// connection, prints what the home holds.
func homeSpec(volume, line string) launch.Spec {
	return launch.Spec{
		Image:      "docker.io/atrium-test/tools:1",
		Command:    []string{"sh", "-c", "echo " + line + " >> " + homePath + "/log; exec nc -ll -p 7000 -e cat " + homePath + "/log"},
		Ports:      []launch.Port{{Name: "probe", Port: echoPort}},
		HomeVolume: volume,
		HomePath:   homePath,
		Resources:  launch.Resources{CPU: 0.25, MemoryBytes: 32 << 20},
	}
}

// TestHomeOutlivesStopAndHibernate: the user's home claim keeps what a
// session wrote across hibernate/resume and across stop and a new
// session; only DestroySession with RemoveHome deletes it.
func TestHomeOutlivesStopAndHibernate(t *testing.T) {
	w := newWorld(t, nil)
	volume := "0b6a2c8e-user-home"
	claims := w.cl.Client.CoreV1().PersistentVolumeClaims(w.ns)

	first := randomID()
	s := session(first)
	if _, err := w.rt.StartSession(ctxT(t), runtime.StartRequest{Session: s, Spec: homeSpec(volume, "one")}); err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	running := w.waitState(first, "running", func(st runtime.Status) bool { return st.State == runtime.StateRunning })
	if got := w.home(first); got != "one" {
		t.Fatalf("home holds %q, want one", got)
	}

	if _, err := w.rt.HibernateSession(ctxT(t), runtime.HibernateRequest{SessionID: first}); err != nil {
		t.Fatalf("HibernateSession: %v", err)
	}
	if st := w.waitState(first, "stopped", func(st runtime.Status) bool { return st.State == runtime.StateStopped }); st.Message == "" {
		t.Error("a hibernated session's status has no message")
	}
	if _, err := w.cl.Client.CoreV1().Pods(w.ns).Get(ctxT(t), "atrium-"+first, metav1.GetOptions{}); err == nil {
		t.Error("the pod still exists after HibernateSession")
	}
	// A fresh plugin process resumes from what the cluster holds.
	fresh := newWorldOn(t, w)
	res, err := fresh.rt.ResumeSession(ctxT(t), runtime.ResumeRequest{SessionID: first})
	if err != nil {
		t.Fatalf("ResumeSession: %v", err)
	}
	if res.Status.InstanceID == running.InstanceID {
		t.Error("the resumed session reports the hibernated pod's instance id")
	}
	w.waitState(first, "running", func(st runtime.Status) bool { return st.State == runtime.StateRunning })
	if got := w.home(first); got != "one\none" {
		t.Fatalf("after resume the home holds %q, want the first line kept and written again", got)
	}

	if _, err := w.rt.StopSession(ctxT(t), runtime.StopRequest{SessionID: first}); err != nil {
		t.Fatalf("StopSession: %v", err)
	}
	w.waitState(first, "missing", func(st runtime.Status) bool { return st.State == runtime.StateMissing })
	if _, err := claims.Get(ctxT(t), "atrium-home-"+volume, metav1.GetOptions{}); err != nil {
		t.Fatalf("the home claim is gone after StopSession: %v", err)
	}

	second := randomID()
	if _, err := w.rt.StartSession(ctxT(t), runtime.StartRequest{Session: session(second), Spec: homeSpec(volume, "two")}); err != nil {
		t.Fatalf("StartSession of a second session: %v", err)
	}
	w.waitState(second, "running", func(st runtime.Status) bool { return st.State == runtime.StateRunning })
	if got := w.home(second); got != "one\none\ntwo" {
		t.Fatalf("a new session on the same home sees %q", got)
	}
	if _, err := w.rt.DestroySession(ctxT(t), runtime.DestroyRequest{SessionID: second, RemoveHome: true, HomeVolume: volume}); err != nil {
		t.Fatalf("DestroySession: %v", err)
	}
	// Gone, or going: the claim's protection finalizer may hold it a moment.
	if c, err := claims.Get(ctxT(t), "atrium-home-"+volume, metav1.GetOptions{}); err == nil && c.DeletionTimestamp == nil {
		t.Fatal("the home claim survived DestroySession with RemoveHome")
	}
}

// home reads what the session's home log holds.
func (w *world) home(id string) string {
	w.t.Helper()
	conn := w.dialEndpoint(id)
	defer conn.Close()
	return strings.TrimSpace(readAll(w.t, conn))
}

// newWorldOn is another plugin process on w's namespace.
func newWorldOn(t *testing.T, w *world) *world {
	t.Helper()
	o := &world{t: t, cl: w.cl, ns: w.ns, cfg: w.cfg, rt: kube.New()}
	configure(t, o)
	return o
}

// TestMissingImageFailsNamingIt: with pull policy Never and no such image,
// StartSession fails with the image's name and the way out, and leaves no
// pod behind.
func TestMissingImageFailsNamingIt(t *testing.T) {
	w := newWorld(t, nil)
	id := randomID()
	spec := echoSpec("x")
	spec.Image = "docker.io/atrium-test/absent:9"
	_, err := w.rt.StartSession(ctxT(t), runtime.StartRequest{Session: session(id), Spec: spec})
	if err == nil {
		t.Fatal("StartSession of an absent image succeeded")
	}
	for _, want := range []string{"atrium-test/absent:9", "ErrImageNeverPull", "image_pull_policy"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	w.waitState(id, "no pod", func(st runtime.Status) bool { return st.InstanceID == "" })
}

// TestUnschedulableFailsAfterStartTimeout: a pod no node can take keeps
// the session starting (StartSession answers in time, not at its
// deadline), then failed once start_timeout passes, saying why.
func TestUnschedulableFailsAfterStartTimeout(t *testing.T) {
	w := newWorld(t, map[string]any{"node_selector": map[string]string{"atrium.test/none": "here"}, "start_timeout": "3s"})
	id := randomID()
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	events := make(chan runtime.Event, 16)
	go func() {
		_ = w.rt.WatchEvents(watchCtx, func(e runtime.Event) error { events <- e; return nil })
	}()
	time.Sleep(time.Second) // let the informer list first, so the pod's creation is a change
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	began := time.Now()
	res, err := w.rt.StartSession(ctx, runtime.StartRequest{Session: session(id), Spec: echoSpec("x")})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	if took := time.Since(began); took > 3500*time.Millisecond {
		t.Errorf("StartSession took %s of its 4 s; it must answer before the caller's deadline", took)
	}
	if res.Status.State != runtime.StateStarting {
		t.Errorf("StartSession state %s, want starting", res.Status.State)
	}
	st := w.waitState(id, "exited", func(st runtime.Status) bool { return st.State == runtime.StateExited })
	for _, want := range []string{"start_timeout", "node_selector", "node(s) didn't match"} {
		if !strings.Contains(st.Message, want) {
			t.Errorf("message %q does not say %q", st.Message, want)
		}
	}
	// The event stream says so at the deadline too, not at the informer's
	// next resync (every 30 s): nothing about the pod changes then.
	limit := time.After(time.Until(began.Add(3*time.Second + 15*time.Second)))
	for {
		select {
		case e := <-events:
			if e.SessionID == id && e.Status.State == runtime.StateExited {
				return
			}
		case <-limit:
			t.Fatalf("no exited event for the unschedulable session within 18 s of its start: the failure waits for the resync")
		}
	}
}

// TestPodDeletedOutsideAtrium: someone deletes a running session's pod;
// the watch reports the session exited, saying so, and InspectSession
// agrees, while a hibernation reads as stopped.
func TestPodDeletedOutsideAtrium(t *testing.T) {
	w := newWorld(t, nil)
	id := randomID()
	if _, err := w.rt.StartSession(ctxT(t), runtime.StartRequest{Session: session(id), Spec: echoSpec("x")}); err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	w.waitState(id, "running", func(st runtime.Status) bool { return st.State == runtime.StateRunning })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan runtime.Event, 16)
	go func() {
		_ = w.rt.WatchEvents(ctx, func(e runtime.Event) error { events <- e; return nil })
	}()
	time.Sleep(500 * time.Millisecond)
	zero := int64(0)
	if err := w.cl.Client.CoreV1().Pods(w.ns).Delete(ctxT(t), "atrium-"+id, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatalf("delete the pod behind the plugin's back: %v", err)
	}
	deadline := time.After(stepTimeout)
	for {
		select {
		case e := <-events:
			if e.SessionID != id || e.Status.State != runtime.StateExited {
				continue
			}
			if !strings.Contains(e.Status.Message, "outside Atrium") {
				t.Errorf("event message %q does not say the pod was deleted outside Atrium", e.Status.Message)
			}
			st := w.waitState(id, "exited", func(st runtime.Status) bool { return st.State == runtime.StateExited })
			if !strings.Contains(st.Message, "outside Atrium") {
				t.Errorf("InspectSession message %q does not say so", st.Message)
			}
			return
		case <-deadline:
			t.Fatal("no exited event for the deleted pod")
		}
	}
}

// TestPortForwardReportsRefusal: in socket mode, a port nothing listens on
// fails on Read with the kubelet's reason, not a silent EOF.
func TestPortForwardReportsRefusal(t *testing.T) {
	w := newWorld(t, map[string]any{"tunnel": kube.TunnelModeSocket})
	id := randomID()
	if _, err := w.rt.StartSession(ctxT(t), runtime.StartRequest{Session: session(id), Spec: echoSpec("x")}); err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	w.waitState(id, "running", func(st runtime.Status) bool { return st.State == runtime.StateRunning })
	if _, err := w.rt.TunnelEndpoint(ctxT(t), runtime.TunnelRequest{SessionID: id, Port: echoPort}); !errors.Is(err, runtime.ErrNoEndpoint) {
		t.Errorf("TunnelEndpoint in socket mode: %v, want ErrNoEndpoint", err)
	}
	conn, err := w.rt.Dial(ctxT(t), runtime.TunnelRequest{SessionID: id, Port: 7999})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("hello\n"))
	_, err = io.ReadAll(conn)
	if err == nil || !strings.Contains(err.Error(), "7999") {
		t.Fatalf("reading from a port nothing listens on gave %v; want the port-forward's error naming port 7999", err)
	}
}
