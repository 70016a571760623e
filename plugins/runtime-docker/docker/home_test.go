package docker_test

import (
	"io"
	"testing"

	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/plugins/runtime-docker/docker"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// homeSpec runs the echo server after appending line to a file in the home
// volume; port catPort then serves that file.
func homeSpec(home, line string) launch.Spec {
	spec := echoSpec("-file", "/home/atrium/marker", "-append", line)
	spec.HomePath = "/home/atrium"
	spec.HomeVolume = home
	return spec
}

// readMarker reads the marker file through the session's cat port.
func readMarker(t *testing.T, rt *docker.Runtime, s runtime.Session, h runtime.Handle) string {
	t.Helper()
	conn := dialWhenReady(t, rt, s.ID, h, catPort)
	defer conn.Close()
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("read the marker file through session %s: %v", s.ID, err)
	}
	return string(b)
}

// TestHomeSurvivesStop writes a file into the home volume in one session
// and reads it from the user's next session.
func TestHomeSurvivesStop(t *testing.T) {
	rt := newRuntime(t, docker.TunnelModeSocket)
	user := "u-home-" + runID
	home := "home-" + runID
	volume := "atrium-home-" + home
	removeVolumeAtEnd(t, volume)

	first := newSession(t, rt, user)
	r1, err := rt.StartSession(ctxT(t), runtime.StartRequest{Session: first, Spec: homeSpec(home, "one")})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	if got := readMarker(t, rt, first, r1.Handle); got != "one\n" {
		t.Fatalf("first session sees %q, want %q", got, "one\n")
	}
	if _, err := rt.StopSession(ctxT(t), runtime.StopRequest{SessionID: first.ID, Handle: r1.Handle}); err != nil {
		t.Fatalf("StopSession: %v", err)
	}
	vol, err := engine.VolumeInspect(ctxT(t), volume, client.VolumeInspectOptions{})
	if err != nil {
		t.Fatalf("home volume gone after StopSession: %v", err)
	}
	if vol.Volume.Labels[docker.LabelUser] != user || vol.Volume.Labels[docker.LabelManaged] != "true" {
		t.Errorf("home volume labels %v, want %s=%s and %s=true", vol.Volume.Labels, docker.LabelUser, user, docker.LabelManaged)
	}

	second := newSession(t, rt, user)
	r2, err := rt.StartSession(ctxT(t), runtime.StartRequest{Session: second, Spec: homeSpec(home, "two")})
	if err != nil {
		t.Fatalf("StartSession of the user's next session: %v", err)
	}
	if got := readMarker(t, rt, second, r2.Handle); got != "one\ntwo\n" {
		t.Fatalf("next session sees %q, want %q", got, "one\ntwo\n")
	}

	// Another user may not mount this home.
	intruder := newSession(t, rt, "u-other-"+runID)
	if _, err := rt.StartSession(ctxT(t), runtime.StartRequest{Session: intruder, Spec: homeSpec(home, "three")}); err == nil {
		t.Error("another user's session mounted this user's home volume")
	}
}

// TestDestroyRemovesEverything destroys a session with RemoveHome and
// checks that nothing carrying its id, nor its home, is left.
func TestDestroyRemovesEverything(t *testing.T) {
	rt := newRuntime(t, docker.TunnelModeEndpoint)
	s := newSession(t, rt, "u-destroy-"+runID)
	home := "destroy-" + runID
	removeVolumeAtEnd(t, "atrium-home-"+home)
	resp, err := rt.StartSession(ctxT(t), runtime.StartRequest{Session: s, Spec: homeSpec(home, "x")})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	// Hibernated containers are the easiest to forget.
	if _, err := rt.HibernateSession(ctxT(t), runtime.HibernateRequest{SessionID: s.ID, Handle: resp.Handle}); err != nil {
		t.Fatalf("HibernateSession: %v", err)
	}
	req := runtime.DestroyRequest{SessionID: s.ID, Handle: resp.Handle, RemoveHome: true, HomeVolume: home}
	if _, err := rt.DestroySession(ctxT(t), req); err != nil {
		t.Fatalf("DestroySession: %v", err)
	}

	bySession := make(client.Filters).Add("label", docker.LabelSession+"="+s.ID)
	cs, err := engine.ContainerList(ctxT(t), client.ContainerListOptions{All: true, Filters: bySession})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Items) != 0 {
		t.Errorf("%d containers labelled with session %s remain", len(cs.Items), s.ID)
	}
	vs, err := engine.VolumeList(ctxT(t), client.VolumeListOptions{Filters: bySession})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Items) != 0 {
		t.Errorf("%d volumes labelled with session %s remain", len(vs.Items), s.ID)
	}
	if _, err := engine.VolumeInspect(ctxT(t), "atrium-home-"+home, client.VolumeInspectOptions{}); err == nil {
		t.Error("home volume remains after DestroySession with RemoveHome")
	}
	st, err := rt.InspectSession(ctxT(t), runtime.InspectRequest{SessionID: s.ID, Handle: resp.Handle})
	if err != nil || st.Status.State != runtime.StateMissing {
		t.Errorf("InspectSession after destroy: %s, %v; want missing", st.Status.State, err)
	}
	if _, err := rt.DestroySession(ctxT(t), req); err != nil {
		t.Errorf("DestroySession of a destroyed session: %v; want success", err)
	}
}
