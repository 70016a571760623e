package pgembed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
)

// childDirEnv makes the test binary act as a core that starts pgembed in
// the named directory, writes a row, reports READY and waits to be killed.
const childDirEnv = "PGEMBED_TEST_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		os.Exit(runChild(dir))
	}
	m.Run()
}

func runChild(dir string) int {
	ctx := context.Background()
	srv, err := Start(ctx, Options{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := exec1(ctx, srv.URL(), "CREATE TABLE marks (v text); INSERT INTO marks VALUES ('from-killed-core')"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("READY")
	select {} // until SIGKILL
}

// stateDir makes a directory for a server directly under the system temp
// directory. Not t.TempDir: its parent is 0700, which the postgres user
// (used when testing as root) cannot enter — pgembed refuses such a
// directory with a clear error instead (see TestUnreachableDir).
func stateDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "pgembed-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

func testLogger(t *testing.T) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: t.Name(), Output: testWriter{t}, Level: hclog.Debug})
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func exec1(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func queryString(t *testing.T, url, sql string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func start(t *testing.T, dir string) *Server {
	t.Helper()
	srv, err := Start(context.Background(), Options{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	return srv
}

func TestStartWriteStopStartKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := stateDir(t)
	srv := start(t, dir)
	if err := exec1(ctx, srv.URL(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('hello')"); err != nil {
		t.Fatal(err)
	}
	if got := queryString(t, srv.URL(), "SHOW server_encoding"); got != "UTF8" {
		t.Errorf("server_encoding = %q, want UTF8", got)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := exec1(ctx, srv.URL(), "SELECT 1"); err == nil {
		t.Fatal("server still answers after Stop")
	}

	srv2 := start(t, dir)
	if got := queryString(t, srv2.URL(), "SELECT v FROM kept"); got != "hello" {
		t.Fatalf("after restart got %q, want hello", got)
	}
}

func TestPrivacy(t *testing.T) {
	dir := stateDir(t)
	srv := start(t, dir)

	for _, p := range []string{dir, filepath.Join(dir, passwordName)} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want no group/other access", p, fi.Mode().Perm())
		}
	}
	if got := queryString(t, srv.URL(), "SHOW listen_addresses"); got != "127.0.0.1" {
		t.Errorf("listen_addresses = %q", got)
	}
	if got := queryString(t, srv.URL(), "SHOW unix_socket_directories"); got != "" {
		t.Errorf("unix_socket_directories = %q, want none", got)
	}
	wrong := strings.Replace(srv.URL(), srv.password, "not-the-password", 1)
	if err := exec1(context.Background(), wrong, "SELECT 1"); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	// A second server on the same directory is refused while the first runs.
	if _, err := Start(context.Background(), Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Fatalf("second Start on a busy directory: err = %v, want 'another process'", err)
	}
}

func TestMissingBinaries(t *testing.T) {
	empty := t.TempDir()
	_, err := Start(context.Background(), Options{Dir: stateDir(t), BinDir: empty})
	if !errors.Is(err, ErrBinariesNotFound) {
		t.Fatalf("err = %v, want ErrBinariesNotFound", err)
	}
	for _, want := range []string{"PostgreSQL server binaries not found", "apt-get install postgresql", "database { url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	// Files with the right names that are not PostgreSQL are refused too.
	fake := t.TempDir()
	for _, n := range []string{"initdb", "pg_ctl", "postgres"} {
		if err := os.WriteFile(filepath.Join(fake, n), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, err = Start(context.Background(), Options{Dir: stateDir(t), BinDir: fake})
	if !errors.Is(err, ErrBinariesNotFound) {
		t.Fatalf("fake binaries: err = %v, want ErrBinariesNotFound", err)
	}
}

func TestUnreachableDir(t *testing.T) {
	if os.Geteuid() != 0 {
		// As a normal user the server runs as that user, so every directory
		// the caller can create is reachable: assert exactly that.
		start(t, filepath.Join(t.TempDir(), "db"))
		return
	}
	parent := t.TempDir() // 0700, owned by root
	_, err := Start(context.Background(), Options{Dir: filepath.Join(parent, "db")})
	if err == nil || !strings.Contains(err.Error(), "cannot enter "+filepath.Dir(parent)) || !strings.Contains(err.Error(), "chmod o+x") {
		t.Fatalf("err = %v, want a 'cannot enter %s … chmod o+x' error", err, filepath.Dir(parent))
	}
}

// TestRestartAfterCoreKilled starts the server from a child process that is
// then SIGKILLed, leaving a live postmaster behind; a new start must take
// over and keep the data.
func TestRestartAfterCoreKilled(t *testing.T) {
	dir := stateDir(t)
	runKilledChild(t, dir)

	before := processesInDataDir(filepath.Join(dir, dataDirName))
	if len(before) == 0 {
		t.Fatal("expected the killed core's postmaster to outlive it")
	}
	srv := start(t, dir)
	if got := queryString(t, srv.URL(), "SELECT v FROM marks"); got != "from-killed-core" {
		t.Fatalf("got %q", got)
	}
}

// TestRestartAfterPostmasterKilled SIGKILLs the postmaster itself, leaving a
// stale postmaster.pid (and possibly orphaned backends).
func TestRestartAfterPostmasterKilled(t *testing.T) {
	dir := stateDir(t)
	runKilledChild(t, dir)
	dataDir := filepath.Join(dir, dataDirName)
	pm := postmasterPID(dataDir)
	if pm == 0 {
		t.Fatal("no postmaster.pid")
	}
	if err := syscall.Kill(pm, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pm, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); err != nil {
		t.Fatalf("expected a stale postmaster.pid: %v", err)
	}
	srv := start(t, dir)
	if got := queryString(t, srv.URL(), "SELECT v FROM marks"); got != "from-killed-core" {
		t.Fatalf("got %q", got)
	}
}

// runKilledChild runs a "core" in a child process and SIGKILLs it once its
// server is up and holds data.
func runKilledChild(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
	cmd.Stderr = testWriter{t}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "READY" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child did not get ready: %q %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// Whatever the test does, leave no server behind.
	t.Cleanup(func() {
		_ = clearLeftovers(context.Background(), hclog.NewNullLogger(), filepath.Join(dir, dataDirName))
	})
}

// A server started again with the Port it had keeps its clients' URL: what
// a test that takes the database away and brings it back needs.
func TestFixedPortSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := stateDir(t)
	first := start(t, dir)
	port, url := first.Port(), first.URL()
	if err := first.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := Start(ctx, Options{Dir: dir, Logger: testLogger(t), Port: port})
	if err != nil {
		t.Fatalf("Start on port %d: %v", port, err)
	}
	t.Cleanup(func() { _ = again.Stop(context.Background()) })
	if again.Port() != port || again.URL() != url {
		t.Fatalf("restarted on port %d (URL changed: %t), want %d", again.Port(), again.URL() != url, port)
	}
	if err := exec1(ctx, url, "SELECT 1"); err != nil {
		t.Fatalf("the old URL does not reach the restarted server: %v", err)
	}
}
