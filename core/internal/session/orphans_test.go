package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// forgetRow removes a session's rows as a restore from a backup taken
// before it was created would: the runtime still runs it.
func (e *env) forgetRow(id uuid.UUID) {
	e.t.Helper()
	_, err := e.st.Pool().Exec(context.Background(), `DELETE FROM session_events WHERE session_id = $1;`, id)
	must(e.t, err)
	_, err = e.st.Pool().Exec(context.Background(), `DELETE FROM sessions WHERE id = $1`, id)
	must(e.t, err)
}

// waitOrphan waits until the resync has recorded the orphan of session id
// and seen it again at least twice after that.
func (e *env) waitOrphan(id uuid.UUID) store.Orphan {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		os, err := e.st.ListOrphans(context.Background())
		must(e.t, err)
		for _, o := range os {
			if o.SessionID == id.String() && o.LastSeen.Sub(o.FirstSeen) > 500*time.Millisecond {
				return o
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no orphan recorded (and seen again) for session %s within 30s: %+v", id, os)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOrphanKeptAndAdopted: a running session whose row is gone (a database
// restored from backup) is recorded and audited once, left running through
// several resyncs, and adopted back as its owner's running session.
func TestOrphanKeptAndAdopted(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(func(o *Options) { o.ResyncInterval = 200 * time.Millisecond })
	ctx := context.Background()
	s, err := m.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	s = e.waitState(s, store.StateRunning)
	e.forgetRow(s.ID)

	o := e.waitOrphan(s.ID)
	if o.Runtime != "proc" || o.UserID != e.alice.ID.String() || o.OrgID != e.org.ID.String() || o.Template != "echo" {
		t.Fatalf("orphan recorded as %+v", o)
	}
	if st := e.inspect(s); st.State != runtime.StateRunning {
		t.Fatalf("the resync did not leave the orphan running: runtime says %s", st.State)
	}
	found, _, err := e.st.ListAudit(ctx, store.SystemScope(), store.AuditFilter{Action: "runtime_orphan.found"}, store.Page{})
	must(t, err)
	if len(found) != 1 || found[0].TargetID != o.ID.String() {
		t.Fatalf("audit of the orphan: %+v, want one entry for %s", found, o.ID)
	}

	got, err := m.AdoptOrphan(ctx, store.SystemScope(), o.ID)
	must(t, err)
	if got.ID != s.ID || got.State != store.StateRunning || got.InstanceID == "" {
		t.Fatalf("adopted session: %+v", got)
	}
	cur, err := e.st.GetSession(ctx, e.scAlice, s.ID)
	must(t, err)
	if got := e.talk(cur, "back again"); got != "back again" {
		t.Fatalf("echo through the adopted session = %q", got)
	}
	os, err := m.Orphans(ctx)
	must(t, err)
	if len(os) != 0 {
		t.Fatalf("orphans after adopting: %+v", os)
	}
	// The reconciler drives it as any other session.
	_, err = m.Stop(ctx, e.scAlice, s.ID)
	must(t, err)
	e.waitState(s, store.StateStopped)
}

// TestOrphanOfFormerMemberRefusedThenDestroyed: an orphan whose owner left
// the organisation cannot be adopted (ErrCannotAdopt, saying why); an
// admin's destroy removes it from the runtime.
func TestOrphanOfFormerMemberRefusedThenDestroyed(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(func(o *Options) { o.ResyncInterval = 200 * time.Millisecond })
	ctx := context.Background()
	s, err := m.Create(ctx, e.scBob, CreateRequest{OrgID: e.org.ID, UserID: e.bob.ID, Template: "echo"})
	must(t, err)
	s = e.waitState(s, store.StateRunning)
	e.forgetRow(s.ID)
	must(t, e.st.RemoveMember(ctx, store.SystemScope(), e.org.ID, e.bob.ID))
	o := e.waitOrphan(s.ID)

	_, err = m.AdoptOrphan(ctx, store.SystemScope(), o.ID)
	if !errors.Is(err, ErrCannotAdopt) {
		t.Fatalf("adopting the orphan of a former member: %v, want ErrCannotAdopt", err)
	}
	t.Logf("refused: %v", err)
	if _, err := e.st.GetSession(ctx, store.SystemScope(), s.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused adoption left a session row: %v", err)
	}

	must(t, m.DestroyOrphan(ctx, store.SystemScope(), o.ID, false))
	if st := e.inspect(s); st.State != runtime.StateMissing {
		t.Fatalf("after the admin's destroy the runtime says %s", st.State)
	}
	if _, err := e.st.GetOrphan(ctx, o.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("orphan record after destroy: %v", err)
	}
	acts, _, err := e.st.ListAudit(ctx, store.SystemScope(), store.AuditFilter{Action: "runtime_orphan.destroy", TargetID: o.ID.String()}, store.Page{})
	must(t, err)
	if len(acts) != 1 {
		t.Fatalf("audit of the destroy: %+v", acts)
	}
}
