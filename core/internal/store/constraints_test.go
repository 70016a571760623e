package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
)

// notClientValues are CHECK constraints no client-chosen value reaches:
// the store sets those columns itself.
var notClientValues = map[string]bool{"quotas_scope_check": true, "quotas_check": true}

// TestCheckConstraintsMapped: every CHECK constraint on a table the API
// writes client values into is mapped to a field, so a violation is told
// as that field, never as the constraint.
func TestCheckConstraintsMapped(t *testing.T) {
	s := storetest.Open(t)
	rows, err := s.Pool().Query(context.Background(), `SELECT conname FROM pg_constraint
		WHERE contype = 'c' AND conrelid::regclass::text IN ('organisations', 'users', 'memberships', 'quotas')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		n++
		if _, ok := store.CheckFields[name]; !ok && !notClientValues[name] {
			t.Errorf("CHECK constraint %s has no field in checkFields", name)
		}
	}
	if err := rows.Err(); err != nil || n == 0 {
		t.Fatalf("%d constraints, %v", n, err)
	}
}

// TestCheckViolationIsField: a value a CHECK constraint refuses comes
// back as ErrInvalid naming the field, and the text a client may see
// carries no constraint name.
func TestCheckViolationIsField(t *testing.T) {
	f := newFixture(t)
	_, err := f.s.SetQuota(context.Background(), f.scRoot, store.QuotaTarget{Scope: store.QuotaOrg, ID: f.orgA.ID},
		store.Limits{MaxSessions: new(int32(-1))})
	var fe *store.FieldError
	if !errors.Is(err, store.ErrInvalid) || !errors.As(err, &fe) || fe.Field != "max_sessions" {
		t.Fatalf("%v", err)
	}
	if strings.Contains(fe.Error(), "quotas") || strings.Contains(fe.Error(), "check") {
		t.Errorf("field error text names the constraint: %s", fe.Error())
	}
}
