package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
	"github.com/jackc/pgx/v5"
)

// TestMigrateRace starts several migrators together on one empty database,
// as several core replicas would: all must succeed and each migration must
// run exactly once.
func TestMigrateRace(t *testing.T) {
	const racers = 4
	for round := 0; round < 3; round++ {
		u := storetest.EmptyDatabase(t)
		ctx := context.Background()
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			errs    = make([]error, racers)
			applied = make([][]store.MigrationInfo, racers)
		)
		for i := 0; i < racers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				applied[i], errs[i] = store.Migrate(ctx, u, nil)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: migrator %d failed: %v", round, i, err)
			}
		}
		st, err := store.MigrationStatus(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		runs := map[int32]int{}
		for _, a := range applied {
			for _, m := range a {
				runs[m.Version]++
			}
		}
		for v := int32(1); v <= st.Latest; v++ {
			if runs[v] != 1 {
				t.Fatalf("round %d: migration %d ran %d times, want once (runs: %v)", round, v, runs[v], runs)
			}
		}
		if len(runs) != int(st.Latest) {
			t.Fatalf("round %d: runs %v for latest %d", round, runs, st.Latest)
		}

		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		var rows, version int
		if err := conn.QueryRow(ctx, `SELECT count(*), max(version) FROM public.atrium_schema_version`).Scan(&rows, &version); err != nil {
			t.Fatal(err)
		}
		var transitions int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM session_transitions`).Scan(&transitions); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
		if rows != 1 || version != int(st.Latest) {
			t.Fatalf("version table has %d rows, version %d; want 1 row at %d", rows, version, st.Latest)
		}
		// Seed rows inserted by a migration exist once, not once per racer.
		if transitions != 24 {
			t.Fatalf("session_transitions has %d rows, want 24", transitions)
		}
	}
}

func TestMigrationStatus(t *testing.T) {
	ctx := context.Background()
	u := storetest.EmptyDatabase(t)
	st, err := store.MigrationStatus(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if st.Current != 0 || st.Latest < 3 || len(st.Pending) != int(st.Latest) || st.Pending[0].Version != 1 {
		t.Fatalf("fresh database: %+v", st)
	}
	// Status must not have created tern's table.
	st2, err := store.MigrationStatus(ctx, u)
	if err != nil || st2.Current != 0 {
		t.Fatalf("second status: %+v %v", st2, err)
	}
	if _, err := store.Migrate(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	st, err = store.MigrationStatus(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if st.Current != st.Latest || len(st.Pending) != 0 {
		t.Fatalf("after migrate: %+v", st)
	}
	again, err := store.Migrate(ctx, u, nil)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Migrate applied %v, err %v; want nothing", again, err)
	}
}
