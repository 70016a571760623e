package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/pgembed"
)

// EmbeddedDir is where the embedded PostgreSQL lives inside the state
// directory.
func EmbeddedDir(cfg *config.Config) string { return filepath.Join(cfg.Server.StateDir, "postgres") }

// PrepareStateDir creates the state directory 0711: private listing, but
// traversable, because when the core runs as root the embedded PostgreSQL
// runs as the postgres user and must reach its own directory inside.
func PrepareStateDir(cfg *config.Config) error {
	dir := cfg.Server.StateDir
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return fmt.Errorf("create state directory %s: %w; set server { state_dir } to a writable path", dir, err)
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		return fmt.Errorf("set the mode of state directory %s: %w", dir, err)
	}
	return nil
}

// Database is the PostgreSQL a core or a command uses: the configured URL,
// or the embedded server, started here or already run by a server process.
type Database struct {
	// URL is a pgx connection string. It holds a password: never log it.
	URL string
	pg  *pgembed.Server
}

// Close stops the embedded PostgreSQL if this process started it.
func (d *Database) Close(ctx context.Context) error {
	if d.pg == nil {
		return nil
	}
	return d.pg.Stop(ctx)
}

// OpenDatabase finds the database the configuration names: database { url }
// when set, else the embedded PostgreSQL in <state_dir>/postgres, which it
// starts (initdb on first use). With attach, a command run beside a running
// server connects to that server's embedded PostgreSQL instead of failing
// on its lock.
func OpenDatabase(ctx context.Context, cfg *config.Config, log hclog.Logger, attach bool) (*Database, error) {
	if cfg.Database != nil {
		return &Database{URL: cfg.Database.URL}, nil
	}
	if err := PrepareStateDir(cfg); err != nil {
		return nil, err
	}
	dir := EmbeddedDir(cfg)
	if attach {
		if u, ok, err := runningEmbedded(dir); err != nil {
			return nil, err
		} else if ok {
			return &Database{URL: u}, nil
		}
	}
	pg, err := pgembed.Start(ctx, pgembed.Options{Dir: dir, Logger: log})
	if err != nil {
		if errors.Is(err, pgembed.ErrBinariesNotFound) {
			return nil, fmt.Errorf("the embedded database needs PostgreSQL's server binaries: %w", err)
		}
		return nil, err
	}
	return &Database{URL: pg.URL(), pg: pg}, nil
}

// Files pgembed keeps in its directory (see core/internal/pgembed), read
// here to reach a server another process runs.
const (
	embeddedLock     = "pgembed.lock"
	embeddedPassword = "password"
	embeddedPidFile  = "data/postmaster.pid"
	embeddedDatabase = "atrium"
	embeddedUser     = "atrium"
)

// runningEmbedded reports the URL of the embedded PostgreSQL in dir when
// another process holds it running (pgembed's lock is taken). ok is false
// when nobody does, so the caller may start it.
func runningEmbedded(dir string) (u string, ok bool, err error) {
	f, err := os.OpenFile(filepath.Join(dir, embeddedLock), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("open %s: %w", filepath.Join(dir, embeddedLock), err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return "", false, nil
	}
	pw, err := os.ReadFile(filepath.Join(dir, embeddedPassword))
	if err != nil {
		return "", false, fmt.Errorf("a server runs the embedded PostgreSQL in %s, but its password cannot be read: %w; run this command as the server's user", dir, err)
	}
	// postmaster.pid: pid, data dir, start time, port, … one per line. The
	// server may still be starting: wait for the port a little.
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(dir, embeddedPidFile))
		if err == nil {
			lines := strings.Split(string(b), "\n")
			if len(lines) > 3 {
				if port, err := strconv.Atoi(strings.TrimSpace(lines[3])); err == nil && port > 0 {
					v := url.URL{Scheme: "postgres", User: url.UserPassword(embeddedUser, strings.TrimSpace(string(pw))),
						Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Path: "/" + embeddedDatabase, RawQuery: "sslmode=disable"}
					return v.String(), true, nil
				}
			}
		}
		if time.Now().After(deadline) {
			return "", false, fmt.Errorf("a process holds the embedded PostgreSQL in %s but it has not started; wait for the server to finish starting, or stop it", dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
