package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/test/harness"
	"github.com/atrium-hq/atrium/test/rfb"
)

// The desktop tests' own Docker network and home volume prefix, so that
// they neither collide with a developer's sessions (network "atrium",
// 172.30.0.0/16) nor with the browser tests' nor the runtime plugin's own
// tests (172.29.251.0/24).
const (
	desktopNetwork      = "atrium-e2e-desktop"
	desktopVolumePrefix = "atrium-e2e-home-"
)

var desktopSubnet = netip.MustParsePrefix("172.29.240.0/24")

// desktopTimeout bounds a session's start or stop on a loaded 2-core
// machine: the image's Xvnc answers ~1.2 s after docker run when idle.
const desktopTimeout = 90 * time.Second

// dockerOnce makes sure, once per test binary, that the engine answers and
// the desktop image exists.
var dockerOnce struct {
	sync.Once
	cli *client.Client
	err error
}

// desktopCore is a core configured for desktop sessions on Docker, with
// its admin logged in through the harness's API client.
type desktopCore struct {
	*core
	path   string
	admin  *harness.Client
	docker *client.Client
	// clients are every user logged in, whose sessions cleanup removes.
	clients []*harness.Client
}

// startDesktopCore makes sure Docker and the desktop image are there,
// starts a core with the Docker runtime, the VNC workspace and the
// "desktop" template on a fresh database, and logs its admin in. Whatever
// the test's sessions leave in Docker is removed at its end.
func startDesktopCore(t *testing.T) *desktopCore {
	t.Helper()
	return startDesktopCoreOn(t, emptyDatabase(t), "", true)
}

// startDesktopCoreOn is startDesktopCore on database db, with serverExtra
// added to the server block. The first core on a database creates the
// admin (firstOnDB); later ones only log it in.
func startDesktopCoreOn(t *testing.T, db, serverExtra string, firstOnDB bool) *desktopCore {
	t.Helper()
	return startDesktopCoreWith(t, db, serverExtra, "", firstOnDB)
}

// startDesktopCoreWith is startDesktopCoreOn with extraHCL (more plugins,
// runtimes or templates) after the desktop blocks.
func startDesktopCoreWith(t *testing.T, db, serverExtra, extraHCL string, firstOnDB bool) *desktopCore {
	t.Helper()
	dockerOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		dockerOnce.cli, dockerOnce.err = harness.Docker(ctx, repoRoot())
		if dockerOnce.err == nil {
			dockerOnce.err = harness.EnsureImage(ctx, dockerOnce.cli, repoRoot(), harness.DesktopImage)
		}
	})
	if dockerOnce.err != nil {
		t.Fatalf("desktop tests need a Docker engine and the %s image: %v", harness.DesktopImage, dockerOnce.err)
	}
	b, err := harness.DesktopBins(bins.dir)
	if err != nil {
		t.Fatal(err)
	}
	hcl := harness.DesktopHCL(harness.DesktopConfig{
		Bins: b, Network: desktopNetwork, Subnet: desktopSubnet, VolumePrefix: desktopVolumePrefix,
	})
	// Replicas behind a load balancer name its URL in serverExtra.
	publicURL := "  public_url = \"http://%[3]s\"\n"
	if strings.Contains(serverExtra, "public_url") {
		publicURL = ""
	}
	path, addr, _ := writeConfigDB(t, `
server {
  listen     = "%[3]s"
`+publicURL+`  state_dir  = "%[4]s"
`+strings.ReplaceAll(serverExtra, "%", "%%")+`
}
`+hcl+strings.ReplaceAll(extraHCL, "%", "%%"), db)
	var c *core
	if firstOnDB {
		c = startCore(t, path, addr)
	} else {
		c = startCoreNoAdmin(t, path, addr)
	}
	dc := &desktopCore{core: c, path: path, docker: dockerOnce.cli}
	dc.admin = dc.login(t, "admin", adminPassword)
	// Registered after startCore's own cleanup, so it runs first, while
	// the core still runs; it removes by the users' ids whatever the
	// sessions left, even when the test failed half-way.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, cl := range dc.users() {
			if err := harness.RemoveLabelled(ctx, dc.docker, harness.LabelUser+"="+cl); err != nil {
				t.Errorf("clean up Docker: %v", err)
			}
		}
		// Fails while another run's sessions use it; that run removes it.
		_, _ = dc.docker.NetworkRemove(ctx, desktopNetwork, client.NetworkRemoveOptions{})
	})
	return dc
}

// users lists the ids of the users who own sessions in this core's
// database, for cleanup.
func (dc *desktopCore) users() []string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ids []string
	for _, cl := range dc.clients {
		list, err := cl.Sessions(ctx)
		if err != nil {
			continue
		}
		for _, s := range list {
			if s.UserID != "" && !slices.Contains(ids, s.UserID) {
				ids = append(ids, s.UserID)
			}
		}
	}
	return ids
}

// login logs a user in through the API.
func (dc *desktopCore) login(t *testing.T, username, password string) *harness.Client {
	t.Helper()
	cl, err := harness.Login(ctxT(t, 30*time.Second), "http://"+dc.addr, username, password)
	if err != nil {
		t.Fatal(err)
	}
	dc.clients = append(dc.clients, cl)
	return cl
}

// ctxT is a context that ends after d or with the test.
func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// startSession creates a desktop session as cl and waits until it runs.
func startSession(t *testing.T, cl *harness.Client) harness.Session {
	t.Helper()
	return startSessionOf(t, cl, harness.DesktopTemplate)
}

// startSessionOf creates a session of template as cl and waits until it
// runs.
func startSessionOf(t *testing.T, cl *harness.Client, template string) harness.Session {
	t.Helper()
	s, err := cl.CreateSession(ctxT(t, 30*time.Second), template)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != "pending" || s.Template != template {
		t.Errorf("a new session answers state %q, template %q; want pending, %s", s.State, s.Template, template)
	}
	s, err = cl.WaitState(ctxT(t, desktopTimeout), s.ID, "running")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openDesktop connects to a running session through the relay, checks the
// relay offers security type None alone, and waits for pixels.
func openDesktop(t *testing.T, cl *harness.Client, id string) *harness.Desktop {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	d, err := harness.OpenDesktop(ctx, cl, id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if !bytes.Equal(d.Offered, []byte{rfb.SecurityNone}) {
		t.Fatalf("the relay offers security types %v; want [%d] (None) only: the core authenticates to VNC itself", d.Offered, rfb.SecurityNone)
	}
	if _, err := harness.FirstFramebuffer(ctx, d.Client); err != nil {
		t.Fatal(err)
	}
	return d
}

// sessionContainer returns the name of the one container labelled with
// session id.
func (dc *desktopCore) sessionContainer(t *testing.T, id string) string {
	t.Helper()
	cs, _, err := harness.Labelled(ctxT(t, 30*time.Second), dc.docker, harness.LabelSession+"="+id)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("session %s has %d containers %v, want 1", id, len(cs), cs)
	}
	return strings.TrimPrefix(cs[0], "/")
}

// readFile reads one file out of a container through the Docker API.
func readFile(ctx context.Context, cli *client.Client, container, path string) ([]byte, error) {
	res, err := cli.CopyFromContainer(ctx, container, client.CopyFromContainerOptions{SourcePath: path})
	if err != nil {
		return nil, fmt.Errorf("copy %s out of %s: %w", path, container, err)
	}
	defer res.Content.Close()
	tr := tar.NewReader(res.Content)
	if _, err := tr.Next(); err != nil {
		return nil, fmt.Errorf("copy %s out of %s: read the archive: %w", path, container, err)
	}
	return io.ReadAll(io.LimitReader(tr, 1<<20))
}

// keysym is the X keysym of an ASCII character: printable Latin-1
// characters are their own keysyms.
func keysym(r rune) uint32 {
	if r == '\n' {
		return 0xff0d // Return
	}
	return uint32(r)
}

// typeText presses and releases a key for every character of s. Xvnc adds
// the Shift a character like '>' or '~' needs by itself.
func typeText(d *harness.Desktop, s string) error {
	for _, r := range s {
		if r > 0x7e || (r < 0x20 && r != '\n') {
			return fmt.Errorf("typeText types printable ASCII and newlines only, not %q", r)
		}
		if err := d.KeyEvent(keysym(r), true); err != nil {
			return err
		}
		if err := d.KeyEvent(keysym(r), false); err != nil {
			return err
		}
	}
	return nil
}

// The proof the home volume keeps what the desktop writes.
const (
	proofCommand = "echo atrium-e2e > ~/proof.txt\n"
	proofPath    = "/home/atrium/proof.txt"
	proofContent = "atrium-e2e\n"
)

// writeProof types proofCommand into the session's terminal until read
// (the session's proofPath, from its runtime) returns proofContent. Keys
// typed before the terminal's shell reads them can be lost, as for a person
// typing that early, and the command is idempotent, so it is typed again
// until it takes effect.
func writeProof(t *testing.T, d *harness.Desktop, read func(context.Context) ([]byte, error)) {
	t.Helper()
	// The entrypoint's xterm sits at +40+40 with the focus; the pointer
	// goes over it and clicks, so the keys reach it whatever the window
	// manager's focus policy.
	for _, mask := range []uint8{0, 1, 0} {
		if err := d.PointerEvent(mask, 200, 150); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(45 * time.Second)
	for attempt := 1; ; attempt++ {
		if err := typeText(d, proofCommand); err != nil {
			t.Fatal(err)
		}
		wait := time.Now().Add(3 * time.Second)
		for time.Now().Before(wait) {
			b, err := read(ctxT(t, 10*time.Second))
			if err == nil && string(b) == proofContent {
				t.Logf("the typed command wrote %s at attempt %d", proofPath, attempt)
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			t.Fatalf("typing %q into the desktop's terminal did not write %s within 45 s", proofCommand, proofPath)
		}
	}
}

// assertGone checks that, within a bound, Docker holds no container or
// volume labelled with any of the sessions, no volume labelled with user's
// id, and none of volumes. A session shows "deleted" once its tombstone is
// written; the runtime objects go right after, so this polls.
func (dc *desktopCore) assertGone(t *testing.T, userID string, volumes []string, sessions ...string) {
	t.Helper()
	ctx := ctxT(t, 60*time.Second)
	var left []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		left = left[:0]
		for _, id := range sessions {
			cs, vs, err := harness.Labelled(ctx, dc.docker, harness.LabelSession+"="+id)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range append(cs, vs...) {
				left = append(left, fmt.Sprintf("%s (session %s)", x, id))
			}
		}
		_, vs, err := harness.Labelled(ctx, dc.docker, harness.LabelUser+"="+userID)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			left = append(left, fmt.Sprintf("volume %s (user %s)", v, userID))
		}
		for _, v := range volumes {
			if _, err := dc.docker.VolumeInspect(ctx, v, client.VolumeInspectOptions{}); err == nil {
				left = append(left, "home volume "+v)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after a delete with remove_home=true, Docker still holds %v", left)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// homeVolumes lists the names of the home volumes mounted in container.
func (dc *desktopCore) homeVolumes(t *testing.T, container string) []string {
	t.Helper()
	res, err := dc.docker.ContainerInspect(ctxT(t, 30*time.Second), container, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range res.Container.Mounts {
		if m.Destination == "/home/atrium" {
			names = append(names, m.Name)
		}
	}
	if len(names) != 1 || !strings.HasPrefix(names[0], desktopVolumePrefix) {
		t.Fatalf("container %s mounts %v at /home/atrium; want one volume named %s…", container, names, desktopVolumePrefix)
	}
	return names
}

// deleteKeepThenRemove deletes session kept keeping the user's home, then
// session last removing it, each until it reads deleted.
func deleteKeepThenRemove(t *testing.T, cl *harness.Client, kept, last string) {
	t.Helper()
	for _, del := range []struct {
		id         string
		removeHome bool
	}{{kept, false}, {last, true}} {
		if err := cl.Delete(ctxT(t, 30*time.Second), del.id, del.removeHome); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.WaitState(ctxT(t, desktopTimeout), del.id, "deleted"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDesktopSessionKeepsItsHome: a desktop session created through the
// API runs, its screen arrives through the core's relay with no VNC
// password on the client's side, keys typed there run a command in its
// terminal, a new session of the same user after a stop sees the file
// that command wrote, and a delete with remove_home leaves nothing of
// either session, nor the home volume, in Docker.
func TestDesktopSessionKeepsItsHome(t *testing.T) {
	dc := startDesktopCore(t)
	s1 := startSession(t, dc.admin)
	d := openDesktop(t, dc.admin, s1.ID)
	ctr1 := dc.sessionContainer(t, s1.ID)
	home := dc.homeVolumes(t, ctr1)
	writeProof(t, d, func(ctx context.Context) ([]byte, error) {
		return readFile(ctx, dc.docker, ctr1, proofPath)
	})
	_ = d.Close()

	if err := dc.admin.Action(ctxT(t, 30*time.Second), s1.ID, "stop"); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.admin.WaitState(ctxT(t, desktopTimeout), s1.ID, "stopped"); err != nil {
		t.Fatal(err)
	}

	s2 := startSession(t, dc.admin)
	if s2.ID == s1.ID {
		t.Fatal("the new session has the stopped one's id")
	}
	ctr2 := dc.sessionContainer(t, s2.ID)
	if got := dc.homeVolumes(t, ctr2); !slices.Equal(got, home) {
		t.Errorf("the second session mounts home %v, the first mounted %v", got, home)
	}
	b, err := readFile(ctxT(t, 30*time.Second), dc.docker, ctr2, proofPath)
	if err != nil || string(b) != proofContent {
		t.Fatalf("the new session's %s holds %q (%v); want %q, written in the stopped session", proofPath, b, err, proofContent)
	}
	// The new session's desktop works too.
	_ = openDesktop(t, dc.admin, s2.ID).Close()

	deleteKeepThenRemove(t, dc.admin, s1.ID, s2.ID)
	dc.assertGone(t, s2.UserID, home, s1.ID, s2.ID)
}

// assertRefused opens the relay at rel with origin and checks it is
// refused with status and problem type problem, with no RFB byte.
func assertRefused(t *testing.T, what string, base, rel, origin string, status int, problem string) {
	t.Helper()
	conn, resp, err := harness.DialRelay(ctxT(t, 30*time.Second), base, rel, origin)
	if err == nil {
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		var b [12]byte
		n, _ := conn.Read(b[:])
		_ = conn.Close()
		t.Fatalf("%s: the relay accepted the WebSocket (and sent %q)", what, b[:n])
	}
	if resp == nil {
		t.Fatalf("%s: no HTTP answer: %v", what, err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Errorf("%s: answered %d %s; want %d", what, resp.StatusCode, body, status)
	}
	if bytes.HasPrefix(body, []byte("RFB ")) {
		t.Errorf("%s: RFB bytes arrived in the refusal: %q", what, body)
	}
	if !strings.Contains(string(body), "/problems/"+problem) {
		t.Errorf("%s: the refusal is not problem type %s: %s", what, problem, body)
	}
}

// withTicket rewrites a relay url to present ticket for session id.
func withTicket(id, ticket string) string {
	return "/api/v1/sessions/" + id + "/vnc?ticket=" + ticket
}

// TestDesktopRelayRefusesBadTickets: through the real core, every relay
// upgrade without a fresh ticket for this session's current instance, or
// from a foreign Origin, is refused with an HTTP status before any RFB
// byte flows, and another user cannot get a ticket at all.
func TestDesktopRelayRefusesBadTickets(t *testing.T) {
	dc := startDesktopCore(t)
	if code, out := runAtriumStdin(t, 60*time.Second, "bob's password\n", "admin", "create-user", "-config", dc.path, "-username", "bob", "-org", "default"); code != 0 {
		t.Fatalf("create bob: %d\n%s", code, out)
	}
	bob := dc.login(t, "bob", "bob's password")
	mine, theirs := startSession(t, dc.admin), startSession(t, bob)
	base := dc.admin.Base
	connect := func(cl *harness.Client, id string) harness.Ticket {
		t.Helper()
		tk, err := cl.Connect(ctxT(t, 30*time.Second), id)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}

	// Taken first, presented last: the expiry wait overlaps the others.
	expiring := connect(dc.admin, mine.ID)
	expiry, err := expiring.ExpiresAt()
	if err != nil {
		t.Fatal(err)
	}
	if ttl := time.Until(expiry); ttl <= 0 || ttl > 31*time.Second {
		t.Fatalf("a ticket lives %s; the design says seconds, at most 30", ttl)
	}

	assertRefused(t, "no ticket", base, "/api/v1/sessions/"+mine.ID+"/vnc", base, http.StatusUnauthorized, "relay-ticket-missing")
	assertRefused(t, "a made-up ticket", base, withTicket(mine.ID, "not-a-ticket"), base, http.StatusUnauthorized, "relay-ticket-invalid")
	assertRefused(t, "a foreign Origin", base, connect(dc.admin, mine.ID).URL, "http://evil.example", http.StatusForbidden, "relay-origin")
	assertRefused(t, "no Origin", base, connect(dc.admin, mine.ID).URL, "", http.StatusForbidden, "relay-origin")

	used := connect(dc.admin, mine.ID)
	d, err := harness.OpenTicket(ctxT(t, 30*time.Second), base, used.URL)
	if err != nil {
		t.Fatalf("a fresh ticket: %v", err)
	}
	_ = d.Close()
	assertRefused(t, "a used ticket", base, used.URL, base, http.StatusUnauthorized, "relay-ticket-invalid")

	assertRefused(t, "my ticket on bob's session", base, withTicket(theirs.ID, connect(dc.admin, mine.ID).Ticket), base, http.StatusForbidden, "relay-ticket-session")
	assertRefused(t, "bob's ticket on my session", base, withTicket(mine.ID, connect(bob, theirs.ID).Ticket), base, http.StatusForbidden, "relay-ticket-session")
	if code, _, err := bob.Do(ctxT(t, 30*time.Second), http.MethodPost, "/api/v1/sessions/"+mine.ID+"/connect", nil); err != nil || (code != http.StatusNotFound && code != http.StatusForbidden) {
		t.Errorf("bob asked for a ticket to my session: %d %v; want 404 or 403", code, err)
	}

	// A ticket from before a hibernate and resume names the old instance.
	stale := connect(dc.admin, mine.ID)
	staleExpiry, err := stale.ExpiresAt()
	if err != nil {
		t.Fatal(err)
	}
	if err := dc.admin.Action(ctxT(t, 30*time.Second), mine.ID, "hibernate"); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.admin.WaitState(ctxT(t, desktopTimeout), mine.ID, "hibernated"); err != nil {
		t.Fatal(err)
	}
	if err := dc.admin.Action(ctxT(t, 30*time.Second), mine.ID, "resume"); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.admin.WaitState(ctxT(t, desktopTimeout), mine.ID, "running"); err != nil {
		t.Fatal(err)
	}
	if left := time.Until(staleExpiry); left < time.Second {
		t.Errorf("hibernate and resume took longer than a ticket lives (%s left); the stale-instance refusal is not checked", left)
	} else {
		assertRefused(t, "a ticket from before the session restarted", base, stale.URL, base, http.StatusConflict, "relay-session-restarted")
	}
	// A fresh ticket opens the resumed session.
	_ = openDesktop(t, dc.admin, mine.ID).Close()

	// Bounded: a ticket lives at most 30 s, checked above.
	time.Sleep(time.Until(expiry) + time.Second)
	assertRefused(t, "an expired ticket", base, expiring.URL, base, http.StatusUnauthorized, "relay-ticket-invalid")

	for _, s := range []struct {
		cl *harness.Client
		id string
	}{{dc.admin, mine.ID}, {bob, theirs.ID}} {
		if err := s.cl.Delete(ctxT(t, 30*time.Second), s.id, true); err != nil {
			t.Error(err)
		}
	}
	for _, s := range []harness.Session{mine, theirs} {
		cl := dc.admin
		if s.ID == theirs.ID {
			cl = bob
		}
		if _, err := cl.WaitState(ctxT(t, desktopTimeout), s.ID, "deleted"); err != nil {
			t.Error(err)
		}
		dc.assertGone(t, s.UserID, nil, s.ID)
	}
}

// restart kills the core with SIGKILL, as a crash or an OOM kill would,
// runs between before it starts it again on the same config, and returns
// the new core. The login sessions live in the database, so the clients
// keep working.
func (dc *desktopCore) restart(t *testing.T, between func()) {
	t.Helper()
	dc.restartWith(t, syscall.SIGKILL, 30*time.Second, between)
}

// restartWith is restart with signal sig (SIGTERM drains), waiting up to
// within for the core to exit.
func (dc *desktopCore) restartWith(t *testing.T, sig syscall.Signal, within time.Duration, between func()) {
	t.Helper()
	if err := dc.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-dc.exited:
	case <-time.After(within):
		t.Fatalf("the core did not exit within %s of %s", within, sig)
	}
	if between != nil {
		between()
	}
	dc.core = startCoreNoAdmin(t, dc.path, dc.addr)
}

// reconnect opens session id's desktop through the relay until its first
// framebuffer update arrives, within 30 s: after a core or plugin restart
// the session may still be being recovered.
func reconnect(t *testing.T, cl *harness.Client, id string) {
	t.Helper()
	var last error
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		d, err := harness.OpenDesktop(ctx, cl, id)
		if err == nil {
			_, err = harness.FirstFramebuffer(ctx, d.Client)
			_ = d.Close()
		}
		cancel()
		if err == nil {
			return
		}
		last = err
		if time.Now().After(deadline) {
			t.Fatalf("no desktop through the relay within 30 s: %v", last)
		}
		time.Sleep(time.Second)
	}
}

// TestDesktopSurvivesCoreKill: a session keeps running while its core is
// killed and restarted, and answers through the new core's relay; a
// session whose container vanished while the core was down ends failed or
// stopped, never running.
func TestDesktopSurvivesCoreKill(t *testing.T) {
	dc := startDesktopCore(t)
	s := startSession(t, dc.admin)
	d := openDesktop(t, dc.admin, s.ID)
	dc.restart(t, nil)
	// The relay died with the core; the stream must have ended.
	_ = d.Conn().SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := d.ReadFramebufferUpdate(); err == nil {
		t.Error("a relay stream outlived the core that served it")
	}

	got, err := dc.admin.Session(ctxT(t, 30*time.Second), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "running" {
		t.Fatalf("after a restart the running session is %q (%s)", got.State, got.Error)
	}
	// The new core may still be recovering the session from its fresh
	// runtime plugin; a connection must work within a bound.
	reconnect(t, dc.admin, s.ID)
	if got, err := dc.admin.Session(ctxT(t, 30*time.Second), s.ID); err != nil || got.State != "running" {
		t.Fatalf("after reconnecting the session is %q (%v)", got.State, err)
	}

	// Now the container vanishes while no core watches.
	ctr := dc.sessionContainer(t, s.ID)
	dc.restart(t, func() {
		if _, err := dc.docker.ContainerRemove(ctxT(t, 30*time.Second), ctr, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
	})
	end, err := dc.admin.WaitState(ctxT(t, desktopTimeout), s.ID, "failed", "stopped")
	if err != nil {
		t.Fatalf("a session whose container was removed: %v", err)
	}
	t.Logf("the session whose container was removed ended %s (%s)", end.State, end.Error)
	// It must stay there: no later reconcile may call it running again.
	settle := time.Now().Add(5 * time.Second)
	for time.Now().Before(settle) {
		got, err := dc.admin.Session(ctxT(t, 30*time.Second), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == "running" {
			t.Fatalf("the session whose container was removed went back to running")
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err := dc.admin.Delete(ctxT(t, 30*time.Second), s.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := dc.admin.WaitState(ctxT(t, desktopTimeout), s.ID, "deleted"); err != nil {
		t.Fatal(err)
	}
	dc.assertGone(t, s.UserID, nil, s.ID)
}
