// Package storetest gives each test its own fresh PostgreSQL database, on a
// real server: the one named by ATRIUM_TEST_DATABASE_URL when set (its role
// needs CREATEDB), otherwise one private server per test binary, started
// with pgembed in a temporary directory.
//
// A test binary that uses it calls Main from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/pgembed"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that points tests at an existing server.
const EnvURL = "ATRIUM_TEST_DATABASE_URL"

var (
	mu       sync.Mutex
	inMain   bool
	started  bool
	baseURL  string
	startErr error
	server   *pgembed.Server
	tmpDir   string
)

// Main runs the tests and then stops the private server, if one was
// started, and removes its directory. Its result is the tests' exit code.
func Main(m *testing.M) int {
	mu.Lock()
	inMain = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := server.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "storetest:", err)
			if code == 0 {
				code = 1
			}
		}
		_ = os.RemoveAll(tmpDir)
	}
	return code
}

// base returns the URL of a database on the test server from which new
// databases can be created, starting the private server on first use.
func base(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !inMain {
		t.Fatal("storetest: call storetest.Main(m) from TestMain, so the private PostgreSQL is stopped after the tests")
	}
	if !started {
		started = true
		baseURL, startErr = startServer()
	}
	if startErr != nil {
		t.Fatalf("storetest: %v", startErr)
	}
	return baseURL
}

func startServer() (string, error) {
	if u := os.Getenv(EnvURL); u != "" {
		return u, nil
	}
	// Directly under the system temp directory, which the postgres user
	// (used when tests run as root) can enter.
	dir, err := os.MkdirTemp("", "atrium-storetest-")
	if err != nil {
		return "", fmt.Errorf("create directory for the test PostgreSQL: %w", err)
	}
	tmpDir = dir
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	log := hclog.New(&hclog.LoggerOptions{Name: "storetest", Level: hclog.Warn, Output: os.Stderr})
	// Throwaway data: durability only costs time here.
	server, err = pgembed.Start(ctx, pgembed.Options{Dir: dir, Logger: log, Settings: throwaway})
	if err != nil {
		return "", fmt.Errorf("start a private PostgreSQL for tests (or set %s): %w", EnvURL, err)
	}
	return server.URL(), nil
}

// EmptyDatabase creates a database with no tables, dropped when the test
// ends, and returns its URL.
func EmptyDatabase(t testing.TB) string {
	t.Helper()
	return emptyDatabaseOn(t, base(t), true)
}

// emptyDatabaseOn is EmptyDatabase on the server of superuser URL b; drop
// says whether to drop it when the test ends (a private server goes with
// all its databases).
func emptyDatabaseOn(t testing.TB, b string, drop bool) string {
	t.Helper()
	raw := make([]byte, 8)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	name := "test_" + hex.EncodeToString(raw)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := adminExec(ctx, b, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("storetest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if !drop {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := adminExec(ctx, b, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
		}
	})
	u, err := withDatabase(b, name)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return u
}

// MigratedDatabase is EmptyDatabase with the schema applied.
func MigratedDatabase(t testing.TB) string {
	t.Helper()
	return migrated(t, EmptyDatabase(t))
}

// migrated applies the schema to the database at u and returns u.
func migrated(t testing.TB, u string) string {
	t.Helper()
	if _, err := store.Migrate(context.Background(), u, nil); err != nil {
		t.Fatalf("storetest: migrate: %v", err)
	}
	return u
}

// Open returns a Store on a fresh migrated database, closed when the test
// ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	u := MigratedDatabase(t)
	s, err := store.Open(context.Background(), u, nil)
	if err != nil {
		t.Fatalf("storetest: open store: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func adminExec(ctx context.Context, u, sql string) error {
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase rewrites a connection string to name another database, in
// either URL or keyword/value form.
func withDatabase(conn, name string) (string, error) {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", EnvURL, err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return conn + " dbname=" + name, nil // a later keyword wins
}
