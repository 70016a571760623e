package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/test/harness"
)

// drainGrace is the cores' drain_grace in the drain test: short, but long
// enough to see the core serve on while /readyz fails.
const drainGrace = 2 * time.Second

// TestDrainHandsDesktopToAnotherCore is a rolling restart of one replica:
// two cores on one PostgreSQL and one secrets key, a desktop streaming
// through core A, and SIGTERM to A. A's /readyz fails at once while A
// still accepts new connections for the grace; an API request in flight across the whole drain (its body
// still arriving after A stopped accepting) is answered; the relay ends
// with 1001 "core restarting"; A exits 0. A ticket from core B then opens
// the same session, bytes flow, and neither the session's row nor its
// container changed.
func TestDrainHandsDesktopToAnotherCore(t *testing.T) {
	db := emptyDatabase(t)
	keyFile := filepath.Join(t.TempDir(), "secrets.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("k", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	extra := fmt.Sprintf("  secrets_key_file = %q\n  drain_grace = %q\n  drain_timeout = \"30s\"\n", keyFile, drainGrace.String())
	a := startDesktopCoreOn(t, db, extra, true)
	b := startDesktopCoreOn(t, db, extra, false)

	s := startSession(t, a.admin)
	d := openDesktop(t, a.admin, s.ID)
	container := a.sessionContainer(t, s.ID)
	rowBefore := sessionRow(t, db, s.ID)
	startedBefore := containerStarted(t, a.docker, container)

	// An API request in flight: the headers and half the body now, the
	// rest only after A has stopped accepting new connections.
	slow := startSlowLogin(t, a.addr, "admin", adminPassword)

	var notReady atomic.Int64 // when /readyz first failed, Unix ns
	// servedNew: a fresh connection was served after /readyz failed,
	// during the grace.
	var servedNew atomic.Bool
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for {
			select {
			case <-a.exited:
				return
			default:
			}
			resp, err := hc.Get("http://" + a.addr + "/readyz")
			if err == nil {
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusServiceUnavailable && notReady.Load() == 0:
					notReady.Store(time.Now().UnixNano())
				case resp.StatusCode == http.StatusServiceUnavailable:
					servedNew.Store(true)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	signalled := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	// The relay ends with the close the web UI reconnects on.
	readErr := readUntilEnd(d.Conn(), drainGrace+20*time.Second)
	closedAt := time.Now()
	var ce *websocket.CloseError
	if !errors.As(readErr, &ce) || ce.Code != websocket.CloseGoingAway || ce.Text != "core restarting" {
		t.Fatalf("the relay through the draining core ended with %v; want close 1001 \"core restarting\"", readErr)
	}
	if closedAt.Sub(signalled) < drainGrace-200*time.Millisecond {
		t.Errorf("the relay closed %s after SIGTERM, before the %s grace was over", closedAt.Sub(signalled), drainGrace)
	}
	nr := notReady.Load()
	if nr == 0 {
		t.Fatal("/readyz never answered 503 while core A drained")
	}
	if after := time.Unix(0, nr).Sub(signalled); after > time.Second {
		t.Fatalf("/readyz failed only %s after SIGTERM; want at once", after)
	}
	if !servedNew.Load() {
		t.Error("core A accepted no new connection after /readyz failed; it must serve on for the grace")
	}
	t.Logf("after SIGTERM: /readyz failed at %s, the relay closed at %s", time.Unix(0, nr).Sub(signalled), closedAt.Sub(signalled))

	// A no longer accepts; the request in flight still gets its answer.
	waitFor(t, 5*time.Second, "core A to stop accepting connections", func() bool {
		c, err := net.DialTimeout("tcp", a.addr, time.Second)
		if err == nil {
			c.Close()
			return false
		}
		return true
	})
	select {
	case <-a.exited:
		t.Fatal("core A exited with an API request in flight")
	default:
	}
	if status := slow.finish(t); status != http.StatusOK {
		t.Errorf("the login in flight across the drain answered %d, want 200", status)
	}
	select {
	case <-a.exited:
	case <-time.After(60 * time.Second):
		t.Fatal("core A did not exit within 60 s of its drain")
	}
	<-pollDone
	if code := a.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("core A exited %d after SIGTERM, want 0", code)
	}
	out := a.out.String()
	if !strings.Contains(out, "draining: /readyz fails from now on") || !strings.Contains(out, "drained") {
		t.Errorf("core A's log does not show the drain:\n%s", out)
	}

	// Through B, with a fresh ticket: the same desktop, bytes flowing.
	d2, err := harness.OpenDesktop(ctxT(t, 30*time.Second), b.admin, s.ID)
	if err != nil {
		t.Fatalf("open the desktop through core B: %v", err)
	}
	defer d2.Close()
	n, err := harness.FirstFramebuffer(ctxT(t, 30*time.Second), d2.Client)
	if err != nil || n == 0 {
		t.Fatalf("no pixels through core B: %d bytes, %v", n, err)
	}
	if rowAfter := sessionRow(t, db, s.ID); rowAfter != rowBefore {
		t.Errorf("the session's row changed across the drain:\nbefore %s\nafter  %s", rowBefore, rowAfter)
	}
	if got := b.sessionContainer(t, s.ID); got != container {
		t.Errorf("the session's container is %s after the drain, was %s", got, container)
	}
	if started := containerStarted(t, b.docker, container); started != startedBefore {
		t.Errorf("the session's container restarted: started %s, was %s", started, startedBefore)
	}
	if n := sqlInt(t, db, `SELECT count(*) FROM audit_log WHERE action LIKE 'session.%' AND action <> 'session.create'`); n != 0 {
		t.Errorf("%d session audit rows besides its creation: the drain acted on the session", n)
	}
}

// sessionRow is what must not change about a session when a core drains:
// its state, instance, runtime handle, secrets and start.
func sessionRow(t *testing.T, db, id string) string {
	t.Helper()
	var row string
	sqlRow(t, db, &row, `SELECT (state, instance_id, handle_version, md5(secrets_sealed), started_at, stopped_at, error)::text FROM sessions WHERE id = $1`, id)
	return row
}

// containerStarted is when Docker last started the container: a restart
// of the session's container would change it.
func containerStarted(t *testing.T, cli *client.Client, container string) string {
	t.Helper()
	res, err := cli.ContainerInspect(ctxT(t, 30*time.Second), container, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Container.State == nil || !res.Container.State.Running {
		t.Fatalf("container %s is not running", container)
	}
	return res.Container.State.StartedAt
}

// slowLogin is a login request sent over a raw connection in two parts.
type slowLogin struct {
	conn net.Conn
	rest string
}

// startSlowLogin sends a login's headers and the first half of its body.
func startSlowLogin(t *testing.T, addr, username, password string) *slowLogin {
	t.Helper()
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, username, password)
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	half := len(body) / 2
	head := fmt.Sprintf("POST /api/v1/auth/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body[:half])
	if _, err := conn.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	return &slowLogin{conn: conn, rest: body[half:]}
}

// finish sends the rest of the body and returns the answer's status.
func (s *slowLogin) finish(t *testing.T) int {
	t.Helper()
	_ = s.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := s.conn.Write([]byte(s.rest)); err != nil {
		t.Fatalf("send the rest of the request in flight: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(s.conn), nil)
	if err != nil {
		t.Fatalf("read the answer to the request in flight: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
