package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/store"
)

func TestAuditAppendOnly(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.s.Audit(ctx, store.AuditEntry{Action: "test.write", Actor: store.Actor{UserID: &f.root.ID, IP: "192.0.2.7"}}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`UPDATE audit_log SET action = 'rewritten'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
	} {
		_, err := f.s.Pool().Exec(ctx, sql)
		if sqlState(err) != "AT002" {
			t.Fatalf("%s: err = %v, want the append-only trigger's AT002", sql, err)
		}
	}
	es, _, err := f.s.ListAudit(ctx, f.scRoot, store.AuditFilter{Action: "test.write"}, store.Page{})
	if err != nil || len(es) != 1 || es[0].IP != "192.0.2.7" || *es[0].UserID != f.root.ID {
		t.Fatalf("entry after refused changes: %+v %v", es, err)
	}
}

// TestFailedTransactionLeavesNoTrace: the change and its audit row commit
// together or not at all.
func TestFailedTransactionLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	boom := errors.New("boom")
	err := f.s.InTx(ctx, func(q *store.Queries) error {
		o, err := q.CreateOrg(ctx, "doomed", "Doomed")
		if err != nil {
			return err
		}
		if err := q.Audit(ctx, store.AuditEntry{Actor: store.Actor{UserID: &f.root.ID}, OrgID: &o.ID, Action: "org.create", TargetType: "org", TargetID: o.ID.String()}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want boom", err)
	}
	if _, err := f.s.GetOrgBySlug(ctx, f.scRoot, "doomed"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("org survived the rollback: %v", err)
	}
	es, _, err := f.s.ListAudit(ctx, f.scRoot, store.AuditFilter{Action: "org.create"}, store.Page{})
	if err != nil || len(es) != 0 {
		t.Fatalf("audit row survived the rollback: %+v %v", es, err)
	}

	// A database error inside the transaction rolls back the audit row too.
	err = f.s.InTx(ctx, func(q *store.Queries) error {
		if err := q.Audit(ctx, store.AuditEntry{Action: "org.create", TargetID: "dup"}); err != nil {
			return err
		}
		_, err := q.CreateOrg(ctx, "org-a", "duplicate slug")
		return err
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate slug: err = %v, want ErrConflict", err)
	}
	es, _, _ = f.s.ListAudit(ctx, f.scRoot, store.AuditFilter{TargetID: "dup"}, store.Page{})
	if len(es) != 0 {
		t.Fatalf("audit row survived a failed statement: %+v", es)
	}

	// And the happy path commits both.
	err = f.s.InTx(ctx, func(q *store.Queries) error {
		o, err := q.CreateOrg(ctx, "kept", "Kept")
		if err != nil {
			return err
		}
		return q.Audit(ctx, store.AuditEntry{OrgID: &o.ID, Action: "org.create", TargetType: "org", TargetID: o.ID.String(), Details: map[string]any{"slug": "kept"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	es, _, err = f.s.ListAudit(ctx, f.scRoot, store.AuditFilter{Action: "org.create"}, store.Page{})
	if err != nil || len(es) != 1 || es[0].Details["slug"] != "kept" {
		t.Fatalf("committed audit: %+v %v", es, err)
	}
}

func TestAuditListScopeAndPages(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for i := 0; i < 5; i++ {
		for _, o := range []store.Org{f.orgA, f.orgB} {
			if err := f.s.Audit(ctx, store.AuditEntry{OrgID: &o.ID, Action: "thing.do", TargetType: "thing"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var all []store.AuditEntry
	cursor := ""
	for pages := 0; ; pages++ {
		es, next, err := f.s.ListAudit(ctx, f.scAdminA, store.AuditFilter{}, store.Page{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, es...)
		if next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		cursor = next
	}
	if len(all) != 5 {
		t.Fatalf("org A admin saw %d entries, want its 5", len(all))
	}
	for i, e := range all {
		if *e.OrgID != f.orgA.ID {
			t.Fatalf("entry from another org: %+v", e)
		}
		if i > 0 && e.ID >= all[i-1].ID {
			t.Fatal("not newest first")
		}
	}
	es, _, _ := f.s.ListAudit(ctx, f.scAdminA, store.AuditFilter{OrgID: &f.orgB.ID}, store.Page{})
	if len(es) != 0 {
		t.Fatalf("org A admin filtering on org B saw %d entries", len(es))
	}
	es, _, _ = f.s.ListAudit(ctx, f.scRoot, store.AuditFilter{}, store.Page{})
	if len(es) != 10 {
		t.Fatalf("platform admin saw %d entries, want 10", len(es))
	}
	if _, _, err := f.s.ListAudit(ctx, f.scRoot, store.AuditFilter{}, store.Page{Cursor: "not a cursor!"}); !errors.Is(err, store.ErrInvalidCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
}
