package store_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
)

// While the database is down, queries fail with errors Unavailable
// recognises, quickly; when it is back, the same Store works again by
// itself. Statement errors are not "unavailable". The server is this
// test's own, stopped and started for real.
func TestUnavailableWhileDatabaseIsDown(t *testing.T) {
	pg := storetest.PrivateServer(t)
	st, err := store.Open(context.Background(), pg.MigratedDatabase(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.GetUser(ctx, store.SystemScope(), [16]byte{1}); !errors.Is(err, store.ErrNotFound) || store.Unavailable(err) {
		t.Fatalf("a missing user: %v (unavailable %t); want ErrNotFound, not unavailable", err, store.Unavailable(err))
	}
	if _, err := st.CreateOrg(ctx, "dup", "Dup"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateOrg(ctx, "dup", "Dup"); !errors.Is(err, store.ErrConflict) || store.Unavailable(err) {
		t.Fatalf("a duplicate slug: %v; want ErrConflict, not unavailable", err)
	}

	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // idle pooled connections first, then new ones
		start := time.Now()
		_, _, err := st.ListOrgs(ctx, store.SystemScope(), store.Page{})
		if !store.Unavailable(err) {
			t.Fatalf("query %d with the database down: %v; want an error Unavailable recognises", i, err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("query %d with the database down took %s", i, took)
		}
	}

	if err := pg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.ListOrgs(ctx, store.SystemScope(), store.Page{}); err != nil {
		t.Fatalf("the store after PostgreSQL came back: %v", err)
	}
}

// A connection its server ends (pg_terminate_backend, as a failover or an
// administrator does) fails with an error Unavailable recognises.
func TestUnavailableOnTerminatedConnection(t *testing.T) {
	u := storetest.MigratedDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var pid uint32
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	other, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	if _, err := other.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "SELECT 1")
	if !store.Unavailable(fmt.Errorf("wrapped: %w", err)) {
		t.Fatalf("a query on a terminated connection: %v; want an error Unavailable recognises", err)
	}
}

// Open gives up on a server that accepts TCP and never answers within the
// default connect timeout, and says it is unavailable. The listener is a
// FAKE standing for a database behind a broken network: a real one cannot
// be made to hang this way without stopping the shared test server.
func TestOpenGivesUpOnASilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never written to
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err = store.Open(ctx, "postgres://atrium:x@"+ln.Addr().String()+"/atrium?sslmode=disable", nil)
	took := time.Since(start)
	if err == nil || !store.Unavailable(err) {
		t.Fatalf("Open on a silent server: %v; want an error Unavailable recognises", err)
	}
	if took > store.DefaultConnectTimeout+2*time.Second {
		t.Fatalf("Open on a silent server took %s; want about the connect timeout (%s)", took, store.DefaultConnectTimeout)
	}
	t.Logf("Open gave up after %s", took.Round(time.Millisecond))
}
