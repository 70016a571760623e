// Command bare is the API benchmark's reference server: the three session
// endpoints of Atrium's API (list, get, create) on fasthttp and pgx with
// nothing else, sending PostgreSQL the same statements per request as the
// core does (queries.go). It is what the same work costs without Fiber,
// the middleware, the session manager and the plugins.
//
// Included, as in the core: API key authentication with its four
// statements per request (key by prefix, the user's scope, the user), the
// scoped list and get, and create's whole admission transaction (advisory
// locks, pending home removal, both quotas and usages, the insert through
// the membership, the first event, the audit row). Left out: create's call
// to the workspace plugin's Describe and the sealing of the secrets it
// lists (bare stores 64 random bytes instead), the rate limits, and the
// reconciler that starts each created session afterwards.
//
// It prints "LISTEN host:port" on stdout once it serves.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"

	"github.com/atrium-hq/atrium/test/benchstats"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	dbURL := flag.String("database", "", "PostgreSQL URL of the core's database")
	flag.StringVar(&tpl.name, "template", "bench", "the one template create accepts")
	flag.StringVar(&tpl.runtime, "runtime", "standin", "its runtime")
	flag.Int64Var(&tpl.cpuMillis, "cpu-millis", 1000, "its CPU in thousandths of a core")
	flag.Int64Var(&tpl.memoryBytes, "memory-bytes", 1<<30, "its memory")
	flag.StringVar(&tpl.kind, "kind", "vnc", "its kind, as the core's view shows it")
	flag.StringVar(&tpl.kindName, "kind-name", "", "its kind name, as the core's view shows it")
	stats := flag.String("stats", "", "serve allocation counters and pprof on this address (package benchstats)")
	flag.Parse()
	if *stats != "" {
		benchstats.Serve(*stats)
	}
	if err := run(*listen, *dbURL); err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}

// template is the one template the bare server knows.
type template struct {
	name, runtime, kind, kindName string
	cpuMillis, memoryBytes        int64
}

var tpl template

func run(listen, dbURL string) error {
	if dbURL == "" {
		return errors.New("-database is required")
	}
	ctx := context.Background()
	// The same pool as the core's store: the URL's settings, pgx's defaults.
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Println("LISTEN", ln.Addr().String())
	s := &server{db: pool}
	return (&fasthttp.Server{Handler: s.handle, Name: "bare"}).Serve(ln)
}

type server struct{ db *pgxpool.Pool }

// scope is store.Scope's content: who asks and where.
type scope struct {
	userID        uuid.UUID
	platformAdmin bool
	orgs          map[uuid.UUID]string
}

func (sc scope) orgIDs(adminOnly bool) []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(sc.orgs))
	for id, r := range sc.orgs {
		if !adminOnly || r == "org_admin" {
			ids = append(ids, id)
		}
	}
	return ids
}

func (sc scope) sessionArgs() []any {
	return []any{sc.platformAdmin, sc.orgIDs(true), sc.orgIDs(false), sc.userID}
}

// principal is the authenticated caller.
type principal struct {
	sc    scope
	keyID uuid.UUID
}

type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func fail(status int, msg string) error { return &httpError{status, msg} }

func (s *server) handle(c *fasthttp.RequestCtx) {
	err := s.route(c)
	if err == nil {
		return
	}
	status := fasthttp.StatusInternalServerError
	var he *httpError
	if errors.As(err, &he) {
		status = he.status
	}
	c.Response.Reset()
	c.SetStatusCode(status)
	c.SetContentType("application/problem+json")
	body, _ := json.Marshal(map[string]any{"status": status, "detail": err.Error()})
	c.SetBody(body)
}

func (s *server) route(c *fasthttp.RequestCtx) error {
	path := string(c.Path())
	rest, ok := strings.CutPrefix(path, "/api/v1/sessions")
	if !ok {
		return fail(404, "no such endpoint")
	}
	ctx := context.Background()
	p, err := s.authenticate(ctx, c)
	if err != nil {
		return err
	}
	switch {
	case rest == "" && c.IsGet():
		return s.list(ctx, c, p)
	case rest == "" && c.IsPost():
		return s.create(ctx, c, p)
	case strings.HasPrefix(rest, "/") && c.IsGet():
		id, err := uuid.Parse(rest[1:])
		if err != nil {
			return fail(404, "no such session: ids are UUIDs")
		}
		return s.get(ctx, c, p, id)
	}
	return fail(405, "method not allowed")
}

// authenticate checks a Bearer API key: the statements and the order of
// authn.Service.KeyPrincipal.
func (s *server) authenticate(ctx context.Context, c *fasthttp.RequestCtx) (*principal, error) {
	h := string(c.Request.Header.Peek("Authorization"))
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, fail(401, "send an API key")
	}
	key = strings.TrimSpace(key)
	rest, ok := strings.CutPrefix(key, "atr_")
	prefix, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(prefix) != 8 || len(secret) < 40 {
		return nil, fail(401, "malformed API key")
	}
	var (
		keyID, userID      uuid.UUID
		hash               []byte
		orgID              *uuid.UUID
		kPrefix, name      string
		scopes             []string
		expires, last, rev *time.Time
		created            time.Time
	)
	err := s.db.QueryRow(ctx, sqlKeyByPrefix, prefix).Scan(&keyID, &kPrefix, &hash, &userID, &orgID, &name, &scopes, &expires, &last, &rev, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fail(401, "unknown API key")
	} else if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(key))
	if subtle.ConstantTimeCompare(sum[:], hash) != 1 {
		return nil, fail(401, "unknown API key")
	}
	sc, err := s.scopeFor(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := s.getUser(ctx, sc, userID); err != nil {
		return nil, err
	}
	if orgID != nil {
		narrowed := scope{userID: sc.userID, orgs: map[uuid.UUID]string{}}
		if r, ok := sc.orgs[*orgID]; ok {
			narrowed.orgs[*orgID] = r
		}
		sc = narrowed
	}
	if c.IsPost() && !contains(scopes, "write") {
		return nil, fail(403, "read-only key")
	}
	if last == nil || time.Since(*last) > time.Minute {
		if _, err := s.db.Exec(ctx, sqlTouchKey, keyID); err != nil {
			return nil, err
		}
	}
	return &principal{sc: sc, keyID: keyID}, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// scopeFor is store.ScopeForUser.
func (s *server) scopeFor(ctx context.Context, userID uuid.UUID) (scope, error) {
	sc := scope{userID: userID, orgs: map[uuid.UUID]string{}}
	err := s.db.QueryRow(ctx, sqlScopeUser, userID).Scan(&sc.platformAdmin)
	if errors.Is(err, pgx.ErrNoRows) {
		return sc, fail(401, "no such active user")
	} else if err != nil {
		return sc, err
	}
	rows, err := s.db.Query(ctx, sqlScopeMemberships, userID)
	if err != nil {
		return sc, err
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var r string
		if err := rows.Scan(&id, &r); err != nil {
			return sc, err
		}
		sc.orgs[id] = r
	}
	return sc, rows.Err()
}

// getUser is store.GetUser, for its cost (the caller keeps nothing of it).
func (s *server) getUser(ctx context.Context, sc scope, id uuid.UUID) error {
	return s.getUserOn(ctx, s.db, sc, id)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *server) getUserOn(ctx context.Context, q querier, sc scope, id uuid.UUID) error {
	var (
		uid                    uuid.UUID
		username, email, dname string
		hash                   *string
		status                 string
		admin                  bool
		created, updated       time.Time
	)
	err := q.QueryRow(ctx, sqlGetUser, sc.platformAdmin, sc.orgIDs(false), sc.userID, id).
		Scan(&uid, &username, &email, &dname, &hash, &status, &admin, &created, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return fail(404, "no such user")
	}
	return err
}

// session is a row of sessions, in sessionCols order.
type session struct {
	ID, OrgID, UserID                    uuid.UUID
	Template, Runtime, State, InstanceID string
	HandleVersion                        int32
	HandleData                           []byte
	CPUMillis, MemoryBytes               int64
	SecretsSealed                        []byte
	CreatedAt, UpdatedAt                 time.Time
	StartedAt, LastActivityAt, StoppedAt *time.Time
	Error                                string
	StartPhase                           *string
	StartMessage                         string
	StartPhaseAt                         *time.Time
}

func scanSession(row pgx.Row) (session, error) {
	var s session
	err := row.Scan(&s.ID, &s.OrgID, &s.UserID, &s.Template, &s.Runtime, &s.State, &s.InstanceID, &s.HandleVersion,
		&s.HandleData, &s.CPUMillis, &s.MemoryBytes, &s.SecretsSealed, &s.CreatedAt, &s.UpdatedAt, &s.StartedAt,
		&s.LastActivityAt, &s.StoppedAt, &s.Error, &s.StartPhase, &s.StartMessage, &s.StartPhaseAt)
	return s, err
}

// view is the core's sessionView, field for field.
type view struct {
	ID             uuid.UUID  `json:"id"`
	OrgID          uuid.UUID  `json:"org_id"`
	UserID         uuid.UUID  `json:"user_id"`
	Template       string     `json:"template"`
	Kind           string     `json:"kind"`
	KindName       string     `json:"kind_name,omitempty"`
	Runtime        string     `json:"runtime"`
	State          string     `json:"state"`
	CPUMillis      int64      `json:"cpu_millis"`
	MemoryBytes    int64      `json:"memory_bytes"`
	CreatedAt      time.Time  `json:"created_at"`
	StartedAt      *time.Time `json:"started_at,omitempty"`
	LastActivityAt *time.Time `json:"last_activity_at,omitempty"`
	StoppedAt      *time.Time `json:"stopped_at,omitempty"`
	Error          string     `json:"error,omitempty"`
	StartPhase     string     `json:"start_phase,omitempty"`
	StartMessage   string     `json:"start_message,omitempty"`
	StartPhaseAt   *time.Time `json:"start_phase_at,omitempty"`
}

func viewOf(s session) view {
	v := view{ID: s.ID, OrgID: s.OrgID, UserID: s.UserID, Template: s.Template, Runtime: s.Runtime, State: s.State,
		CPUMillis: s.CPUMillis, MemoryBytes: s.MemoryBytes, CreatedAt: s.CreatedAt, StartedAt: s.StartedAt,
		LastActivityAt: s.LastActivityAt, StoppedAt: s.StoppedAt, Error: s.Error, StartMessage: s.StartMessage,
		StartPhaseAt: s.StartPhaseAt}
	if s.Template == tpl.name {
		v.Kind, v.KindName = tpl.kind, tpl.kindName
	}
	if s.StartPhase != nil {
		v.StartPhase = *s.StartPhase
	}
	return v
}

func writeJSON(c *fasthttp.RequestCtx, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.SetStatusCode(status)
	c.SetContentType("application/json")
	c.SetBody(b)
	return nil
}

// listStates are the states a list without ?all=true shows.
var listStates = []string{"pending", "starting", "running", "hibernating", "hibernated", "resuming", "stopping", "stopped", "failed"}

type cursor struct {
	CreatedAt time.Time `json:"t"`
	ID        uuid.UUID `json:"i"`
}

func optionalID(c *fasthttp.RequestCtx, name string) (*uuid.UUID, error) {
	v := c.QueryArgs().Peek(name)
	if len(v) == 0 {
		return nil, nil
	}
	id, err := uuid.ParseBytes(v)
	if err != nil {
		return nil, fail(400, name+" is not a UUID")
	}
	return &id, nil
}

func (s *server) list(ctx context.Context, c *fasthttp.RequestCtx, p *principal) error {
	limit := 50
	if l := c.QueryArgs().Peek("limit"); len(l) > 0 {
		n, err := strconv.Atoi(string(l))
		if err != nil || n < 1 {
			return fail(400, "limit must be a positive integer")
		}
		limit = min(n, 500)
	}
	var cur cursor
	has := false
	if raw := c.QueryArgs().Peek("cursor"); len(raw) > 0 {
		b, err := base64.RawURLEncoding.DecodeString(string(raw))
		if err != nil || json.Unmarshal(b, &cur) != nil {
			return fail(400, "invalid cursor")
		}
		has = true
	}
	org, err := optionalID(c, "org")
	if err != nil {
		return err
	}
	user, err := optionalID(c, "user")
	if err != nil {
		return err
	}
	states := listStates
	if string(c.QueryArgs().Peek("all")) == "true" {
		states = []string{}
	}
	args := append(p.sc.sessionArgs(), org, user, states, "", has, cur.CreatedAt, cur.ID, limit+1)
	rows, err := s.db.Query(ctx, sqlListSessions, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := struct {
		Items      []view `json:"items"`
		NextCursor string `json:"next_cursor,omitempty"`
	}{Items: make([]view, 0, limit)}
	var last session
	n := 0
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return err
		}
		n++
		if n > limit {
			break
		}
		out.Items = append(out.Items, viewOf(sess))
		last = sess
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if n > limit {
		b, _ := json.Marshal(cursor{last.CreatedAt, last.ID})
		out.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	return writeJSON(c, 200, out)
}

func (s *server) get(ctx context.Context, c *fasthttp.RequestCtx, p *principal, id uuid.UUID) error {
	sess, err := scanSession(s.db.QueryRow(ctx, sqlGetSession, append(p.sc.sessionArgs(), id)...))
	if errors.Is(err, pgx.ErrNoRows) {
		return fail(404, "no such session")
	} else if err != nil {
		return err
	}
	return writeJSON(c, 200, viewOf(sess))
}

type createBody struct {
	Template string     `json:"template"`
	OrgID    *uuid.UUID `json:"org_id"`
	UserID   *uuid.UUID `json:"user_id"`
}

// create admits a session as session.Manager.Create does, statement for
// statement (GetOrg, the owner's scope, then one transaction: advisory
// locks, pending home removal, org and user quota and usage, the insert in
// a savepoint as store.CreateSession's own InTx makes it, the first event,
// the audit row).
func (s *server) create(ctx context.Context, c *fasthttp.RequestCtx, p *principal) error {
	var b createBody
	dec := json.NewDecoder(bytes.NewReader(c.PostBody()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return fail(400, "bad body: "+err.Error())
	}
	if b.Template != tpl.name {
		return fail(404, "no such template")
	}
	var org uuid.UUID
	switch {
	case b.OrgID != nil:
		org = *b.OrgID
	case len(p.sc.orgs) == 1:
		for id := range p.sc.orgs {
			org = id
		}
	default:
		return fail(400, "name org_id")
	}
	owner := p.sc.userID
	if b.UserID != nil {
		owner = *b.UserID
	}
	var oid uuid.UUID
	var slug, name string
	var created time.Time
	err := s.db.QueryRow(ctx, sqlGetOrg, p.sc.platformAdmin, p.sc.orgIDs(false), org).Scan(&oid, &slug, &name, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return fail(404, "no such organisation")
	} else if err != nil {
		return err
	}
	ownerScope, err := s.scopeFor(ctx, owner)
	if err != nil {
		return err
	}
	if _, ok := ownerScope.orgs[org]; !ok {
		return fail(404, "owner not a member")
	}
	role, member := p.sc.orgs[org]
	if !p.sc.platformAdmin && role != "org_admin" && !(member && owner == p.sc.userID) {
		return fail(404, "no such organisation")
	}
	sealed := make([]byte, 64)
	_, _ = rand.Read(sealed)
	system := scope{platformAdmin: true}
	var sess session
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlLockAdmission, org, owner); err != nil {
			return err
		}
		var pending bool
		if err := tx.QueryRow(ctx, sqlHomeRemovalPending, owner).Scan(&pending); err != nil {
			return err
		}
		if pending {
			return fail(409, "home removal pending")
		}
		if err := tx.QueryRow(ctx, sqlGetOrg, true, system.orgIDs(false), org).Scan(&oid, &slug, &name, &created); err != nil {
			return err
		}
		if err := s.quota(ctx, tx, sqlQuotaOrg, sqlUsageOrg, "org", org); err != nil {
			return err
		}
		if err := s.getUserOn(ctx, tx, system, owner); err != nil {
			return err
		}
		if err := s.quota(ctx, tx, sqlQuotaUser, sqlUsageUser, "user", owner); err != nil {
			return err
		}
		err := pgx.BeginFunc(ctx, tx, func(tx pgx.Tx) error {
			var err error
			sess, err = scanSession(tx.QueryRow(ctx, sqlInsertSession, org, owner, tpl.name, tpl.runtime, tpl.cpuMillis, tpl.memoryBytes, sealed))
			if errors.Is(err, pgx.ErrNoRows) {
				return fail(404, "owner not a member")
			} else if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, sqlInsertEvent, sess.ID, sess.State)
			return err
		})
		if err != nil {
			return err
		}
		details := map[string]any{"template": tpl.name, "runtime": tpl.runtime, "user_id": owner.String()}
		ip := c.RemoteIP().String()
		_, err = tx.Exec(ctx, sqlAudit, p.sc.userID, p.keyID, ip, org, "session.create", "session", sess.ID.String(), details)
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(c, 202, viewOf(sess))
}

// quota is checkQuota: the limits, then what the target uses. No quota
// row means no limits.
func (s *server) quota(ctx context.Context, tx pgx.Tx, quotaSQL, usageSQL, scopeName string, id uuid.UUID) error {
	var maxSessions, maxCPU, maxMem *int64
	var updated time.Time
	err := tx.QueryRow(ctx, quotaSQL, scopeName, id).Scan(&maxSessions, &maxCPU, &maxMem, &updated)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	var n, cpu, mem int64
	if err := tx.QueryRow(ctx, usageSQL, id).Scan(&n, &cpu, &mem); err != nil {
		return err
	}
	if (maxSessions != nil && n+1 > *maxSessions) || (maxCPU != nil && cpu+tpl.cpuMillis > *maxCPU) || (maxMem != nil && mem+tpl.memoryBytes > *maxMem) {
		return fail(409, "quota exceeded")
	}
	return nil
}
