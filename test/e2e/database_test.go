package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgBaseURL is a superuser URL of the one private PostgreSQL every test
// shares (started by TestMain through the pgserver helper, or the server
// named by ATRIUM_TEST_DATABASE_URL); each test gets its own database.
var pgBaseURL string

// startPostgres runs the pgserver helper and returns how to stop it.
func startPostgres() (stop func() error, err error) {
	pg, err := runPGServer()
	if err != nil {
		return nil, err
	}
	pgBaseURL = pg.url
	go func() { _, _ = io.Copy(io.Discard, pg.out) }()
	return pg.close, nil
}

// pgProcess is a running pgserver helper.
type pgProcess struct {
	cmd *exec.Cmd
	// url is a superuser URL of its server's "postgres" database.
	url string
	in  io.WriteCloser
	out *bufio.Reader
}

// runPGServer starts the pgserver helper with args and reads its URL.
func runPGServer(args ...string) (*pgProcess, error) {
	cmd := exec.Command(bins.pgserver, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the test PostgreSQL: %w", err)
	}
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("the test PostgreSQL did not start (see above): %w", err)
	}
	return &pgProcess{cmd: cmd, url: strings.TrimSpace(line), in: stdin, out: out}, nil
}

// close stops the server and waits for the helper to exit.
func (p *pgProcess) close() error {
	_ = p.in.Close() // pgserver stops PostgreSQL when stdin closes
	if err := p.cmd.Wait(); err != nil {
		return fmt.Errorf("stop the test PostgreSQL: %w", err)
	}
	return nil
}

// restartablePostgres is a PostgreSQL server of one test's own, which it
// may stop and start again (same port, same data) under a running core.
// The shared server (pgBaseURL) is never stopped: other tests use it.
type restartablePostgres struct{ *pgProcess }

// startRestartablePostgres starts a private server for t, removed when t
// ends.
func startRestartablePostgres(t *testing.T) *restartablePostgres {
	t.Helper()
	pg, err := runPGServer("-restartable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pg.close(); err != nil {
			t.Error(err)
		}
	})
	return &restartablePostgres{pg}
}

// command sends "stop" or "start" and waits for the helper's answer.
func (p *restartablePostgres) command(t *testing.T, cmd string) {
	t.Helper()
	if _, err := fmt.Fprintln(p.in, cmd); err != nil {
		t.Fatalf("pgserver %s: %v", cmd, err)
	}
	line, err := p.out.ReadString('\n')
	if err != nil {
		t.Fatalf("pgserver %s: no answer: %v", cmd, err)
	}
	if line = strings.TrimSpace(line); line != "ok" {
		t.Fatalf("pgserver %s: %s", cmd, line)
	}
}

// Stop shuts PostgreSQL down (pg_ctl stop, fast mode) and returns once it
// is down.
func (p *restartablePostgres) Stop(t *testing.T) { t.Helper(); p.command(t, "stop") }

// Start starts it again on the same port and data and returns once it
// accepts connections; on a running server it does nothing.
func (p *restartablePostgres) Start(t *testing.T) { t.Helper(); p.command(t, "start") }

// emptyDatabase creates a database with no tables for one test, dropped at
// its end, and returns its URL.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	return emptyDatabaseOn(t, pgBaseURL)
}

// emptyDatabaseOn is emptyDatabase on the server of superuser URL base.
func emptyDatabaseOn(t *testing.T, base string) string {
	t.Helper()
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	name := "e2e_" + hex.EncodeToString(raw)
	sqlExec(t, base, "CREATE DATABASE "+name)
	t.Cleanup(func() { sqlExec(t, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func sqlExec(t *testing.T, dbURL, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// sqlInt runs a query returning one integer.
func sqlInt(t *testing.T, dbURL, sql string) int {
	t.Helper()
	var n int
	sqlRow(t, dbURL, &n, sql)
	return n
}

// sqlRow runs a query returning one row of one column into dst.
func sqlRow(t *testing.T, dbURL string, dst any, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, sql, args...).Scan(dst); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
