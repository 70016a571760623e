package api

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// statementLog records every statement its pool sends (a pgx tracer).
type statementLog struct {
	mu  sync.Mutex
	sql []string
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sql = append(l.sql, strings.Join(strings.Fields(d.SQL), " "))
	return ctx
}

func (*statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the statements recorded since the last take.
func (l *statementLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.sql
	l.sql = nil
	return out
}

// TestGetSessionIsTwoStatements: an authenticated GET of a session costs
// PostgreSQL two statements, one that authenticates (credential, user and
// memberships together) and the read, for an API key and for a login
// session alike. Authentication used to be four round trips.
func TestGetSessionIsTwoStatements(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(w.st.Pool().Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	log := &statementLog{}
	cfg.ConnConfig.Tracer = log
	traced, err := store.OpenConfig(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(traced.Close)
	d := w.srv.deps
	d.Store, d.Authn, d.Tickets = traced, authn.NewService(traced, authn.DefaultSessionPolicy, d.Logger), NewTickets(traced)
	w.srv = New(d)

	path := "/api/v1/sessions/" + w.sessB.ID.String()
	for _, c := range []struct {
		name string
		who  caller
	}{{"api key", w.apiKey(w.userB, "read")}, {"login session", w.session(w.userB)}} {
		// The first use of a key records it (last_used_at); measure the
		// second.
		if r := w.do(c.who, "GET", path, ""); r.status != 200 {
			t.Fatalf("%s: GET %s: %d %s", c.name, path, r.status, r.body)
		}
		log.take()
		if r := w.do(c.who, "GET", path, ""); r.status != 200 {
			t.Fatalf("%s: GET %s: %d %s", c.name, path, r.status, r.body)
		}
		if got := log.take(); len(got) != 2 {
			t.Errorf("%s: GET %s sent %d statements, want 2 (authenticate, get):\n%s", c.name, path, len(got), strings.Join(got, "\n"))
		}
	}
}
