package session

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// talk sends line to the session's app port through its tunnel and
// returns the answer.
func (e *env) talk(s store.Session, line string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt, err := e.host.Get("runtime.proc").Runtime()
	must(e.t, err)
	tun, err := rt.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: s.ID.String(), Handle: handleOf(s), Port: 7000})
	must(e.t, err)
	cur, err := e.st.GetSession(ctx, store.SystemScope(), s.ID)
	must(e.t, err)
	conn, err := relay.DialTunnel(ctx, tun, e.runtimes[0].Networks, cur.Addresses)
	must(e.t, err)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintln(conn, line)
	got, err := bufio.NewReader(conn).ReadString('\n')
	must(e.t, err)
	return strings.TrimSpace(got)
}

func TestCreateRunsSessionThroughReconciler(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(nil)
	changes, unsubscribe := m.Watcher().Subscribe(e.scAlice)
	defer unsubscribe()
	ctx := context.Background()

	s, err := m.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	if s.State != store.StatePending {
		t.Fatalf("Create returned %s, want pending (the reconciler starts it)", s.State)
	}
	s = e.waitState(s, store.StateRunning)
	if !hasHandle(s) || s.InstanceID == "" {
		t.Fatalf("running session has no handle or instance id: %+v", s)
	}
	if got := e.talk(s, "hello"); got != "hello" {
		t.Fatalf("echo through the tunnel = %q", got)
	}

	// The secret reached the session's process, and is sealed at rest.
	secrets, err := m.Secrets(ctx, e.scAlice, s.ID)
	must(t, err)
	token := secrets["token"]
	if len(token) < 20 {
		t.Fatalf("secret token = %q, want a fresh random value", token)
	}
	if got := e.talk(s, "secret"); got != token {
		t.Fatalf("the session's SESSION_TOKEN = %q, want the generated secret", got)
	}
	var raw []byte
	must(t, e.st.Pool().QueryRow(ctx, `SELECT secrets_sealed FROM sessions WHERE id = $1`, s.ID).Scan(&raw))
	if len(raw) == 0 || bytes.Contains(raw, []byte(token)) || bytes.Contains(raw, []byte("token")) {
		t.Fatalf("secrets_sealed holds the plaintext: %q", raw)
	}
	if _, err := m.Secrets(ctx, e.scBob, s.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another member read the secrets: %v", err)
	}

	// The runtime carries the session's labels.
	list, err := e.runtime().ListSessions(ctx, runtime.ListRequest{Labels: map[string]string{LabelSession: s.ID.String()}})
	must(t, err)
	if len(list.Sessions) != 1 || list.Sessions[0].Labels[LabelUser] != e.alice.ID.String() ||
		list.Sessions[0].Labels[LabelOrg] != e.org.ID.String() || list.Sessions[0].Labels[LabelTemplate] != "echo" {
		t.Fatalf("runtime sessions by label: %+v", list.Sessions)
	}

	// The owner saw every change of state live (the start's progress in
	// between is TestStartPhasesReachStoreAndWatcherInOrder's).
	var seen []store.SessionState
	deadline := time.After(10 * time.Second)
	for len(seen) == 0 || seen[len(seen)-1] != store.StateRunning {
		select {
		case c := <-changes:
			if c.ID == s.ID && c.StateChanged() {
				seen = append(seen, c.To)
			}
		case <-deadline:
			t.Fatalf("changes seen: %v, want pending, starting, running", seen)
		}
	}
	if fmt.Sprint(seen) != "[pending starting running]" {
		t.Fatalf("changes seen: %v, want [pending starting running]", seen)
	}
	entries, _, err := e.st.ListAudit(ctx, store.SystemScope(), store.AuditFilter{Action: "session.create", TargetID: s.ID.String()}, store.Page{})
	must(t, err)
	if len(entries) != 1 || entries[0].UserID == nil || *entries[0].UserID != e.alice.ID {
		t.Fatalf("audit of session.create: %+v", entries)
	}
}

func TestQuotaRefusedInAdmittingTransaction(t *testing.T) {
	e := newEnv(t)
	// No reconciler: admission alone is under test.
	m, err := New(context.Background(), Options{Store: e.st, Plugins: HostPlugins(e.host), Templates: e.templates,
		Runtimes: e.runtimes, Sealer: e.sealer})
	must(t, err)
	ctx := context.Background()
	one := int32(1)
	_, err = e.st.SetQuota(ctx, store.SystemScope(), store.QuotaTarget{Scope: store.QuotaOrg, ID: e.org.ID}, store.Limits{MaxSessions: &one})
	must(t, err)

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, who := range []store.User{e.alice, e.bob} {
		sc := e.scAlice
		if i == 1 {
			sc = e.scBob
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = m.Create(ctx, sc, CreateRequest{OrgID: e.org.ID, UserID: who.ID, Template: "echo"})
		}()
	}
	wg.Wait()
	won, refused := 0, 0
	for _, err := range errs {
		var qe *QuotaError
		switch {
		case err == nil:
			won++
		case errors.Is(err, ErrQuotaExceeded) && errors.As(err, &qe) && qe.Scope == store.QuotaOrg && qe.Limit == "sessions":
			refused++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if won != 1 || refused != 1 {
		t.Fatalf("two creates at a limit of one: %d admitted, %d refused (%v)", won, refused, errs)
	}
	n, err := e.st.Usage(ctx, store.QuotaTarget{Scope: store.QuotaOrg, ID: e.org.ID})
	must(t, err)
	if n.Sessions != 1 {
		t.Fatalf("org has %d active sessions, want 1", n.Sessions)
	}

	// A user memory limit names memory.
	mem := int64(300 << 20)
	_, err = e.st.SetQuota(ctx, store.SystemScope(), store.QuotaTarget{Scope: store.QuotaOrg, ID: e.org.ID}, store.Limits{})
	must(t, err)
	_, err = e.st.SetQuota(ctx, store.SystemScope(), store.QuotaTarget{Scope: store.QuotaUser, ID: e.admin.ID}, store.Limits{MaxMemoryBytes: &mem})
	must(t, err)
	_, err = m.Create(ctx, e.scAdmin, CreateRequest{OrgID: e.org.ID, UserID: e.admin.ID, Template: "echo"})
	must(t, err)
	_, err = m.Create(ctx, e.scAdmin, CreateRequest{OrgID: e.org.ID, UserID: e.admin.ID, Template: "echo"})
	var qe *QuotaError
	if !errors.As(err, &qe) || qe.Scope != store.QuotaUser || qe.Limit != "memory_bytes" || !strings.Contains(err.Error(), "memory_bytes limit") {
		t.Fatalf("second session over the user's memory: %v", err)
	}
}

func TestTemplateAccess(t *testing.T) {
	e := newEnv(t)
	e.templates = append(e.templates,
		&config.Template{Name: "admins", Workspace: "echo", Runtime: "proc", Allow: &config.Allow{Roles: []string{"org_admin"}}},
		&config.Template{Name: "elsewhere", Workspace: "echo", Runtime: "proc", Allow: &config.Allow{Orgs: []string{"other-org"}}})
	m, err := New(context.Background(), Options{Store: e.st, Plugins: HostPlugins(e.host), Templates: e.templates,
		Runtimes: e.runtimes, Sealer: e.sealer})
	must(t, err)
	ctx := context.Background()
	for _, c := range []struct {
		sc   store.Scope
		user store.User
		tpl  string
		want error
	}{
		{e.scAlice, e.alice, "nope", ErrTemplateNotFound},
		{e.scAlice, e.alice, "admins", ErrTemplateNotAllowed},
		{e.scAdmin, e.admin, "admins", nil},
		{e.scAdmin, e.admin, "elsewhere", ErrTemplateNotAllowed},
		// An org admin acting for a member: the member's role counts.
		{e.scAdmin, e.alice, "admins", ErrTemplateNotAllowed},
		// A member cannot create a session for another member.
		{e.scAlice, e.bob, "echo", store.ErrNotFound},
	} {
		_, err := m.Create(ctx, c.sc, CreateRequest{OrgID: e.org.ID, UserID: c.user.ID, Template: c.tpl})
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("create %s for %s: %v, want %v", c.tpl, c.user.Username, err, c.want)
		}
	}
}

func TestStopHibernateResumeDeleteReachRuntime(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(nil)
	ctx := context.Background()
	s, err := m.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	s = e.waitState(s, store.StateRunning)
	first := s.InstanceID

	_, err = m.Hibernate(ctx, e.scAlice, s.ID)
	must(t, err)
	s = e.waitState(s, store.StateHibernated)
	if st := e.inspect(s); st.State != runtime.StateStopped {
		t.Fatalf("hibernated session: runtime says %s, want stopped", st.State)
	}
	if _, err := m.Hibernate(ctx, e.scAlice, s.ID); err != nil {
		t.Fatalf("hibernating a hibernated session: %v, want no-op", err)
	}
	if _, err := m.Resume(ctx, e.scAlice, s.ID); err != nil {
		t.Fatal(err)
	}
	s = e.waitState(s, store.StateRunning)
	if s.InstanceID == first {
		t.Fatalf("resumed session kept instance id %q; the runtime reports a new one", first)
	}
	if got := e.talk(s, "after resume"); got != "after resume" {
		t.Fatalf("echo after resume = %q", got)
	}
	if _, err := m.Resume(ctx, e.scAlice, s.ID); err != nil {
		t.Fatalf("resuming a running session: %v, want no-op", err)
	}
	if _, err := m.Hibernate(ctx, e.scBob, s.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another member hibernated the session: %v", err)
	}

	_, err = m.Stop(ctx, e.scAlice, s.ID)
	must(t, err)
	s = e.waitState(s, store.StateStopped)
	if st := e.inspect(s); st.State != runtime.StateMissing {
		t.Fatalf("stopped session: runtime says %s, want missing", st.State)
	}
	if _, err := m.Resume(ctx, e.scAlice, s.ID); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("resume of a stopped session: %v, want ErrInvalidState", err)
	}
	home := filepath.Join(e.root, "homes", HomeVolume(e.alice.ID))
	if _, err := os.Stat(home); err != nil {
		t.Fatalf("home volume after stop: %v", err)
	}
	_, err = m.Delete(ctx, e.scAlice, s.ID, false)
	must(t, err)
	e.waitTeardown(s)
	if _, err := os.Stat(home); err != nil {
		t.Fatalf("home volume after delete without removeHome: %v", err)
	}

	// Delete of a running session goes through stopping; removeHome
	// removes the home volume and is audited.
	s2, err := m.Create(ctx, e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	s2 = e.waitState(s2, store.StateRunning)
	if _, err := m.Delete(ctx, e.scAdmin, s2.ID, true); !errors.Is(err, authz.ErrForbidden) {
		t.Fatalf("org admin removing a member's home: %v, want forbidden", err)
	}
	got, err := m.Delete(ctx, e.scAlice, s2.ID, true)
	must(t, err)
	if got.State != store.StateStopping {
		t.Fatalf("delete of a running session moved it to %s, want stopping", got.State)
	}
	e.waitTeardown(s2)
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("home volume after delete with removeHome: %v, want gone", err)
	}
	evs, err := e.st.SessionEvents(ctx, store.SystemScope(), s2.ID)
	must(t, err)
	var path []string
	for _, ev := range evs {
		path = append(path, string(ev.ToState))
	}
	if strings.Join(path, ",") != "pending,starting,running,stopping,stopped,deleted" {
		t.Fatalf("states of the deleted session: %v", path)
	}
	entries, _, err := e.st.ListAudit(ctx, store.SystemScope(), store.AuditFilter{TargetID: s2.ID.String()}, store.Page{})
	must(t, err)
	actions := map[string]bool{}
	for _, a := range entries {
		actions[a.Action] = true
	}
	if !actions["session.delete"] || !actions["session.delete_storage"] {
		t.Fatalf("audit of the delete: %v", actions)
	}
}

// waitTeardown waits until the session is a tombstone whose runtime
// objects are destroyed.
func (e *env) waitTeardown(s store.Session) {
	e.t.Helper()
	e.waitState(s, store.StateDeleted)
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		td, err := e.st.GetTeardown(context.Background(), s.ID)
		if !errors.Is(err, store.ErrNotFound) {
			must(e.t, err)
		}
		if err == nil && td.Done {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("delete of %s not done after 30s", s.ID)
		}
		<-tick.C
	}
}

func TestFailedStartLeavesNothingBehind(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(nil)
	s, err := m.Create(context.Background(), e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "crash"})
	must(t, err)
	s = e.waitState(s, store.StateFailed)
	if !strings.Contains(s.Error, "failed before it was ready") {
		t.Fatalf("error shown to the user: %q", s.Error)
	}
	// The session reads failed first; the runtime's leftovers are removed
	// right after.
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := e.runtime().ListSessions(context.Background(), runtime.ListRequest{})
		must(t, err)
		if len(list.Sessions) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the runtime still has %+v 10s after a failed start", list.Sessions)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestKilledProcessEndsFailed(t *testing.T) {
	e := newEnv(t)
	m, _ := e.manager(nil)
	s, err := m.Create(context.Background(), e.scAlice, CreateRequest{OrgID: e.org.ID, UserID: e.alice.ID, Template: "echo"})
	must(t, err)
	s = e.waitState(s, store.StateRunning)
	// Behind the runtime's back.
	must(t, syscall.Kill(handlePID(t, s), syscall.SIGKILL))
	s = e.waitState(s, store.StateFailed)
	if !strings.Contains(s.Error, "exited") {
		t.Fatalf("error shown to the user: %q", s.Error)
	}
}
