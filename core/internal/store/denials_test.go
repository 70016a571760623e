package store_test

import (
	"context"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
)

// TestDenialsAreBounded: a burst of denials for one user is one row with
// its count and one audit row, however long the burst.
func TestDenialsAreBounded(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	u, err := st.CreateUser(ctx, store.NewUser{Username: "prober"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 50; i++ {
		n, err := st.RecordDenial(ctx, store.Denial{UserID: u.ID, Method: "GET", Route: "/api/v1/orgs/:org", Status: 404, IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if n < 1 || n > i {
			t.Fatalf("denial %d counted as %d", i, n)
		}
	}
	var rows, total, audits int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*), coalesce(sum(denials), 0),
		(SELECT count(*) FROM audit_log WHERE action = 'access.denied' AND actor_user_id = $1)
		FROM access_denials WHERE user_id = $1`, u.ID).Scan(&rows, &total, &audits); err != nil {
		t.Fatal(err)
	}
	// A burst may straddle a minute boundary: then two of each.
	if rows < 1 || rows > 2 || total != 50 || audits != rows {
		t.Fatalf("%d rows counting %d denials, %d audit rows; want one row (two across a minute) counting 50, one audit row per row", rows, total, audits)
	}
}
