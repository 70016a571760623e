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
	cmd := exec.Command(bins.pgserver)
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
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("the test PostgreSQL did not start (see above): %w", err)
	}
	pgBaseURL = strings.TrimSpace(line)
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return func() error {
		_ = stdin.Close() // pgserver stops PostgreSQL when stdin closes
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("stop the test PostgreSQL: %w", err)
		}
		return nil
	}, nil
}

// emptyDatabase creates a database with no tables for one test, dropped at
// its end, and returns its URL.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	name := "e2e_" + hex.EncodeToString(raw)
	sqlExec(t, pgBaseURL, "CREATE DATABASE "+name)
	t.Cleanup(func() { sqlExec(t, pgBaseURL, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(pgBaseURL)
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
