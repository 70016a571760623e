package storetest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/pgembed"
	"github.com/hashicorp/go-hclog"
)

// throwaway are the settings of every test server: durability only costs
// time here.
var throwaway = map[string]string{
	"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "300",
}

// Private is a PostgreSQL server one test owns alone, so that it may stop
// it and start it again, on the same port and data, to see what the code
// under test does while the database is away. Never stop the shared server
// for that: other tests run on it.
type Private struct {
	dir string
	log hclog.Logger

	mu   sync.Mutex
	srv  *pgembed.Server
	port int
	up   bool
}

// StartPrivate starts a private server in a fresh temporary directory.
// Close stops it and removes the directory.
func StartPrivate(ctx context.Context, log hclog.Logger) (*Private, error) {
	// Directly under the system temp directory, which the postgres user
	// (used when tests run as root) can enter.
	dir, err := os.MkdirTemp("", "atrium-pgprivate-")
	if err != nil {
		return nil, fmt.Errorf("create directory for a private PostgreSQL: %w", err)
	}
	p := &Private{dir: dir, log: log}
	if err := p.Start(ctx); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// PrivateServer is StartPrivate for one test, closed when it ends.
func PrivateServer(t testing.TB) *Private {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p, err := StartPrivate(ctx, hclog.New(&hclog.LoggerOptions{Name: "storetest", Level: hclog.Warn, Output: os.Stderr}))
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("storetest: %v", err)
		}
	})
	return p
}

// Start starts the server again after Stop, on the port it had, so URLs
// handed out before still reach it. Starting a running server does
// nothing.
func (p *Private) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.up {
		return nil
	}
	srv, err := pgembed.Start(ctx, pgembed.Options{Dir: p.dir, Logger: p.log, Settings: throwaway, Port: p.port})
	if err != nil {
		return fmt.Errorf("start the private PostgreSQL in %s: %w", p.dir, err)
	}
	p.srv, p.port, p.up = srv, srv.Port(), true
	return nil
}

// Stop shuts the server down as an operator does (pg_ctl stop, fast
// mode): every connection is closed and new ones are refused until Start.
func (p *Private) Stop(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.up {
		return nil
	}
	if err := p.srv.Stop(ctx); err != nil {
		return err
	}
	p.up = false
	return nil
}

// URL is a superuser URL of database on the server, valid across restarts.
func (p *Private) URL(database string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.srv.DatabaseURL(database)
}

// MigratedDatabase creates a database with the schema applied on this
// server and returns its URL.
func (p *Private) MigratedDatabase(t testing.TB) string {
	t.Helper()
	return migrated(t, emptyDatabaseOn(t, p.URL("postgres"), false))
}

// Close stops the server and removes its directory.
func (p *Private) Close(ctx context.Context) error {
	err := p.Stop(ctx)
	if rerr := os.RemoveAll(p.dir); err == nil && rerr != nil {
		err = fmt.Errorf("remove the private PostgreSQL's directory: %w", rerr)
	}
	return err
}
