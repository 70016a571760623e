package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/harness"
)

// balancer is a TCP round-robin load balancer: every new connection goes
// to the next backend whose /readyz answers 200. It stands in for the
// haproxy or nginx in front of a real deployment: no stickiness, and
// WebSockets pass because it forwards bytes, not requests.
type balancer struct {
	ln       net.Listener
	backends []string
	next     atomic.Uint64
	mu       sync.Mutex
	// routes maps a client's address to the backend its connection went to.
	routes map[string]int
}

// startBalancer listens on a free loopback port in front of backends.
func startBalancer(t *testing.T, addr string, backends []string) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{ln: ln, backends: backends, routes: map[string]int{}}
	t.Cleanup(func() { ln.Close() })
	go b.serve()
	return b
}

func (b *balancer) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		go b.forward(c)
	}
}

// pick returns the next ready backend, or -1 when none is.
func (b *balancer) pick() int {
	hc := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	for range b.backends {
		i := int(b.next.Add(1)-1) % len(b.backends)
		resp, err := hc.Get("http://" + b.backends[i] + "/readyz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return i
		}
	}
	return -1
}

func (b *balancer) forward(c net.Conn) {
	defer c.Close()
	i := b.pick()
	if i < 0 {
		return
	}
	up, err := net.DialTimeout("tcp", b.backends[i], 2*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	b.mu.Lock()
	b.routes[c.RemoteAddr().String()] = i
	b.mu.Unlock()
	harness.Splice(up, c)
}

// routeOf is the backend the connection from client address addr went to.
func (b *balancer) routeOf(t *testing.T, addr string) int {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	i, ok := b.routes[addr]
	if !ok {
		t.Fatalf("the balancer never saw a connection from %s", addr)
	}
	return i
}

// replicaSet is three cores on one PostgreSQL and one secrets key behind
// a round-robin balancer, as a replicated deployment runs them.
type replicaSet struct {
	db   string
	base string // the balancer's URL, every replica's public_url
	lb   *balancer
	// replicas[0] created the admin; all three run the desktop template.
	replicas []*desktopCore
}

// startReplicaSet starts the three replicas with serverExtra added to
// their server blocks, and the balancer in front of them. Whatever the
// sessions in the database leave in Docker is removed at the test's end,
// found through the database, since the balancer and the cores may be
// gone or restarted by then.
func startReplicaSet(t *testing.T, serverExtra string) *replicaSet {
	t.Helper()
	db := emptyDatabase(t)
	keyFile := filepath.Join(t.TempDir(), "secrets.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("r", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	lbAddr := freeAddr(t)
	rs := &replicaSet{db: db, base: "http://" + lbAddr}
	extra := fmt.Sprintf("  public_url = %q\n  secrets_key_file = %q\n", rs.base, keyFile) + serverExtra
	rs.replicas = []*desktopCore{
		startDesktopCoreOn(t, db, extra, true),
		startDesktopCoreOn(t, db, extra, false),
		startDesktopCoreOn(t, db, extra, false),
	}
	rs.lb = startBalancer(t, lbAddr, []string{rs.replicas[0].addr, rs.replicas[1].addr, rs.replicas[2].addr})
	// Registered last, so it runs first, while the cores still run.
	t.Cleanup(func() {
		var users string
		sqlRow(t, db, &users, `SELECT coalesce(string_agg(DISTINCT user_id::text, ','), '') FROM sessions`)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, u := range strings.Split(users, ",") {
			if u == "" {
				continue
			}
			if err := harness.RemoveLabelled(ctx, rs.replicas[0].docker, harness.LabelUser+"="+u); err != nil {
				t.Errorf("clean up Docker: %v", err)
			}
		}
	})
	return rs
}

// readUntilEnd reads conn until it fails or timeout passes, and returns
// the error that ended it (a close frame's *websocket.CloseError for a
// relay that closed).
func readUntilEnd(conn net.Conn, timeout time.Duration) error {
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 64<<10)
	for {
		if _, err := conn.Read(buf); err != nil {
			return err
		}
	}
}

// TestThreeReplicasBehindBalancer runs three cores on one PostgreSQL and
// one secrets key behind a round-robin balancer. A user logs in through
// it, creates a desktop, watches the state change on the third replica's
// event stream and streams the desktop through the balancer. SIGKILL of
// the replica carrying the stream: the client reconnects through another
// within seconds, and the session's row, the database's rows and the
// session's one container are as they were. Only one replica sweeps
// (resync and cull).
func TestThreeReplicasBehindBalancer(t *testing.T) {
	rs := startReplicaSet(t, "")
	db, lb, lbBase, replicas := rs.db, rs.lb, rs.base, rs.replicas
	addrs := []string{replicas[0].addr, replicas[1].addr, replicas[2].addr}

	cl, err := harness.Login(ctxT(t, 30*time.Second), lbBase, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	// A new connection per request, so round-robin spreads them.
	cl.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	replicas[0].clients = append(replicas[0].clients, cl)

	// The event stream straight from replica 3.
	third := &harness.Client{Base: "http://" + addrs[2], Cookie: cl.Cookie, CSRF: cl.CSRF}
	ev, err := third.Events(ctxT(t, 2*desktopTimeout))
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()

	s, err := cl.CreateSession(ctxT(t, 30*time.Second), harness.DesktopTemplate)
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.WaitState(ctxT(t, desktopTimeout), s.ID, "running"); err != nil {
		t.Fatalf("replica 3's event stream never showed the session running: %v", err)
	}

	d := openDesktop(t, cl, s.ID)
	carrier := lb.routeOf(t, d.Conn().LocalAddr().String())
	t.Logf("the stream goes through replica %d", carrier+1)

	// Resync and cull run on one replica, not on all three.
	sweepers := 0
	for _, r := range replicas {
		if strings.Contains(r.out.String(), "this core is the sweeper") {
			sweepers++
		}
	}
	if sweepers != 1 {
		t.Errorf("%d of the three replicas run resync and cull; want 1", sweepers)
	}

	rowBefore := sessionRow(t, db, s.ID)
	sessionsBefore := sqlInt(t, db, `SELECT count(*) FROM sessions`)
	auditBefore := sqlInt(t, db, `SELECT count(*) FROM audit_log`)

	victim := replicas[carrier]
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.exited
	killed := time.Now()

	// The stream ends; the client reconnects with a fresh ticket through
	// the balancer, which sends it to a live replica.
	_ = readUntilEnd(d.Conn(), 10*time.Second)
	var d2 *harness.Desktop
	for d2 == nil {
		if time.Since(killed) > 10*time.Second {
			t.Fatalf("no reconnect through the balancer within 10 s of the SIGKILL: %v", err)
		}
		d2, err = harness.OpenDesktop(ctxT(t, 10*time.Second), cl, s.ID)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
		}
	}
	defer d2.Close()
	if n, err := harness.FirstFramebuffer(ctxT(t, 30*time.Second), d2.Client); err != nil || n == 0 {
		t.Fatalf("no pixels after the reconnect: %d bytes, %v", n, err)
	}
	reconnected := time.Since(killed)
	if to := lb.routeOf(t, d2.Conn().LocalAddr().String()); to == carrier {
		t.Fatalf("the reconnect went to the killed replica %d", to+1)
	}
	t.Logf("reconnected %s after the SIGKILL", reconnected)
	if reconnected > 5*time.Second {
		t.Errorf("the reconnect took %s; want a few seconds", reconnected)
	}

	if rowAfter := sessionRow(t, db, s.ID); rowAfter != rowBefore {
		t.Errorf("the session's row changed across the SIGKILL:\nbefore %s\nafter  %s", rowBefore, rowAfter)
	}
	if n := sqlInt(t, db, `SELECT count(*) FROM sessions`); n != sessionsBefore {
		t.Errorf("%d session rows after the SIGKILL, %d before", n, sessionsBefore)
	}
	if n := sqlInt(t, db, `SELECT count(*) FROM audit_log`); n < auditBefore {
		t.Errorf("%d audit rows after the SIGKILL, %d before: rows were lost", n, auditBefore)
	}
	if n := sqlInt(t, db, `SELECT count(*) FROM audit_log WHERE action LIKE 'session.%' AND action NOT IN ('session.create', 'session.open')`); n != 0 {
		t.Errorf("%d session audit rows besides its creation and opening: a replica acted on the session", n)
	}
	alive := replicas[(carrier+1)%3]
	cs, _, err := harness.Labelled(ctxT(t, 30*time.Second), alive.docker, harness.LabelSession+"="+s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Errorf("%d containers for the session after the SIGKILL, want 1: %v", len(cs), cs)
	}
}
