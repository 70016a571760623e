// Command apibench measures Atrium's session API — list, get and create —
// at a fixed request rate against a PostgreSQL holding 100,000 sessions,
// beside a bare fasthttp + pgx server (bench/api/bare) that sends the same
// statements, with one core replica and with two, in one run:
//
//	path=bare endpoint=list rate=… n=… errors=… p50_ms=… p99_ms=… max_ms=… cpu_s_per_1k=… pg_cpu_s_per_1k=… allocs_per_req=… sql_per_req=…
//	path=atrium-1 …
//	path=atrium-2 …
//	ratio endpoint=list path=atrium-1 p50_x_bare=… p99_x_bare=… same_sql=yes goal(p99<=1.5x)=met|MISSED
//
// Setup: a private PostgreSQL (pgembed, with pg_stat_statements), migrated
// by starting the core once, then seeded directly (seed.go): -orgs
// organisations of -users users, -sessions sessions over them. Each
// caller is a seeded user with an API key; the same keys authenticate on
// both servers, and both run the same four authentication statements.
//
// The load is open-loop: request i is due at start + i/rate and its
// latency counts from then, so a stalled server is charged for the
// requests queued behind it. The first -warmup of each load is not
// measured. Loads go in turn per endpoint (bare, atrium-1, atrium-2), so
// drift on a shared machine hits all three alike. For atrium-2 requests
// alternate between the replicas.
//
// list asks for a page of 50 in the caller's organisation, every other
// request the second page (by cursor); readers are org admins (who see
// their organisation's ~10,000 sessions) and members (their own ~100).
// get asks for one visible session. create asks for a session of the
// "bench" template; it is measured up to the API's answer (202, the
// session admitted and pending); the reconciler then starts it on a
// stand-in runtime plugin whose StartSession refuses at once, so the
// session fails without a container — that background work is in the
// core's CPU figure, not bare's. The core limits creates per user and per
// client address, so each create load uses its own users and loopback
// source addresses, enough to stay inside the limits.
//
// cpu_s_per_1k is the server's process tree (the core with its plugin
// children, or bare), pg_cpu_s_per_1k PostgreSQL's, from /proc.
// allocs_per_req is the Go heap allocations of the server process(es) per
// request (benchstats). sql_per_req counts the statements
// pg_stat_statements saw at least once per two requests; same_sql
// compares their query ids between bare and the core. The load generator
// runs on the same machine.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/test/harness"
	"github.com/atrium-hq/atrium/test/procstat"
)

type options struct {
	rate, createRate      float64
	duration, warmup      time.Duration
	sessions, orgs, users int
	workers               int
	endpoints, paths      []string
	profileDir            string
}

func main() {
	var o options
	flag.Float64Var(&o.rate, "rate", 200, "requests per second for list and get")
	flag.Float64Var(&o.createRate, "create-rate", 50, "requests per second for create")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured length of each load")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured start of each load")
	flag.IntVar(&o.sessions, "sessions", 100000, "sessions seeded")
	flag.IntVar(&o.orgs, "orgs", 10, "organisations seeded")
	flag.IntVar(&o.users, "users", 100, "users per organisation")
	flag.IntVar(&o.workers, "workers", 64, "concurrent requests at most (connections per server)")
	endpoints := flag.String("endpoints", "list,get,create", "endpoints to load")
	paths := flag.String("paths", "bare,atrium-1,atrium-2", "servers to load")
	flag.StringVar(&o.profileDir, "profile", "", "write a CPU profile of the core under each atrium-1 load into this directory")
	flag.Parse()
	o.endpoints, o.paths = strings.Split(*endpoints, ","), strings.Split(*paths, ",")
	if o.users < 3 || o.orgs < 1 || o.rate <= 0 || o.createRate <= 0 {
		fmt.Fprintln(os.Stderr, "bench-api: use -users ≥ 3, -orgs ≥ 1 and positive rates")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-api:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	root, err := harness.RepoRoot()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "atrium-bench-api-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The private PostgreSQL runs as the postgres user when this runs as
	// root and must traverse the directory.
	if err := os.Chmod(dir, 0o711); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench-api: building the core, the plugins and bare")
	b, err := build(root, dir)
	if err != nil {
		return err
	}
	pg, err := startPostgres(ctx, filepath.Join(dir, "pg"))
	if err != nil {
		return err
	}
	defer func() { _ = pg.Stop(context.Background()) }()
	dbURL := pg.URL()
	keyFile, err := writeKey(dir)
	if err != nil {
		return err
	}

	var configs, addrs []string
	for i := range 2 {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		cfg, err := coreConfig(filepath.Join(dir, fmt.Sprintf("core%d", i+1)), addr, dbURL, keyFile, b)
		if err != nil {
			return err
		}
		configs, addrs = append(configs, cfg), append(addrs, addr)
	}
	fmt.Fprintln(os.Stderr, "bench-api: migrating (one start of the core)")
	first, err := startCore(ctx, "atrium-1", b.atrium, configs[0], addrs[0])
	if err != nil {
		return err
	}
	first.stop()

	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close(context.Background())
	t0 := time.Now()
	if err := seed(ctx, db, o.orgs, o.users, o.sessions); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench-api: seeded %d sessions in %s\n", o.sessions, time.Since(t0).Round(time.Millisecond))

	st, err := store.Open(ctx, dbURL, hclog.NewNullLogger())
	if err != nil {
		return err
	}
	defer st.Close()
	var readerNames []string
	for org := 1; org <= o.orgs; org++ {
		readerNames = append(readerNames, fmt.Sprintf("b%d-2", org))
		if org <= (o.orgs+1)/2 {
			readerNames = append(readerNames, fmt.Sprintf("b%d-1", org))
		}
	}
	readers, err := clients(ctx, st, db, readerNames, false)
	if err != nil {
		return err
	}
	var members []string
	for u := 3; u <= o.users; u++ {
		for org := 1; org <= o.orgs; org++ {
			members = append(members, fmt.Sprintf("b%d-%d", org, u))
		}
	}
	creates := schedule{rate: o.createRate, warmup: o.warmup, length: o.duration}.total()
	perPath := creates/18 + 1 // the core's per-user burst is 20
	srcsPerPath := creates/55 + 1
	if perPath*len(o.paths) > len(members) {
		return fmt.Errorf("create needs %d users per load and there are %d members: raise -users or lower -create-rate", perPath, len(members))
	}
	creators := map[string][]*client{}
	for i, p := range o.paths {
		if creators[p], err = clients(ctx, st, db, members[i*perPath:(i+1)*perPath], true); err != nil {
			return err
		}
	}

	procs := map[string][]*proc{}
	var cores []*proc
	for i := range 2 {
		c, err := startCore(ctx, fmt.Sprintf("atrium-%d", i+1), b.atrium, configs[i], addrs[i])
		if err != nil {
			return err
		}
		defer c.stop()
		cores = append(cores, c)
	}
	procs["atrium-1"], procs["atrium-2"] = cores[:1], cores
	// Bare shows the kind the core shows for the template.
	var probe struct {
		Kind     string `json:"kind"`
		KindName string `json:"kind_name"`
	}
	if err := getJSON("http://"+addrs[0]+"/api/v1/sessions/"+readers[0].ids[0].String(), readers[0].key, &probe); err != nil {
		return err
	}
	bare, err := startBare(ctx, b.bare, dbURL, probe.Kind, probe.KindName)
	if err != nil {
		return err
	}
	defer bare.stop()
	procs["bare"] = []*proc{bare}
	if err := sameAnswers(bare.addr, addrs[0], readers); err != nil {
		return err
	}
	pgPIDs := postgresPIDs(pg.Dir())

	fmt.Printf("# api benchmark: %d sessions in %d orgs × %d users; list/get %.0f req/s, create %.0f req/s; %s measured after %s warm-up per load; up to %d requests in flight; GOMAXPROCS default on %d CPUs; %s\n",
		o.sessions, o.orgs, o.users, o.rate, o.createRate, o.duration, o.warmup, o.workers, runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))
	type key struct{ endpoint, path string }
	results := map[key]figures{}
	for _, ep := range o.endpoints {
		for pi, path := range o.paths {
			ps := procs[path]
			if ps == nil {
				return fmt.Errorf("unknown path %q: use bare, atrium-1, atrium-2", path)
			}
			var addrsOf []string
			for _, p := range ps {
				addrsOf = append(addrsOf, p.addr)
			}
			s := schedule{rate: o.rate, warmup: o.warmup, length: o.duration}
			srcs := []net.IP{net.IPv4(127, 0, 0, 1)}
			var mk func(i int) request
			switch ep {
			case "list":
				mk = func(i int) request {
					c := readers[i%len(readers)]
					uri := "/api/v1/sessions?org=" + c.orgID.String() + "&limit=50"
					if (i/len(readers))%2 == 1 {
						uri += "&cursor=" + c.cursor
					}
					return request{method: "GET", uri: uri, key: c.key}
				}
			case "get":
				mk = func(i int) request {
					c := readers[i%len(readers)]
					return request{method: "GET", uri: "/api/v1/sessions/" + c.ids[(i/len(readers))%len(c.ids)].String(), key: c.key}
				}
			case "create":
				s.rate = o.createRate
				srcs = nil
				for k := range srcsPerPath {
					srcs = append(srcs, net.IPv4(127, 0, byte(pi+1), byte(k+1)))
				}
				cs := creators[path]
				mk = func(i int) request {
					c := cs[i%len(cs)]
					body := fmt.Appendf(nil, `{"template":%q,"org_id":%q}`, benchTemplate, c.orgID)
					return request{method: "POST", uri: "/api/v1/sessions", body: body, key: c.key, src: i}
				}
			default:
				return fmt.Errorf("unknown endpoint %q: use list, get, create", ep)
			}
			f, err := measure(ctx, db, newTarget(addrsOf, srcs, o.workers), s, o.workers, mk, ps, pgPIDs, o.profileFor(ep, path))
			if err != nil {
				return fmt.Errorf("%s %s: %w", path, ep, err)
			}
			f.print(path, ep, s.rate)
			results[key{ep, path}] = f
		}
		bf, ok := results[key{ep, "bare"}]
		if !ok {
			continue
		}
		for _, path := range o.paths {
			if path == "bare" {
				continue
			}
			f := results[key{ep, path}]
			same := "yes"
			if !slices.Equal(f.sqlIDs, bf.sqlIDs) {
				same = "NO (" + sqlDiff(bf, f) + ")"
			}
			p99x := f.p99 / bf.p99
			verdict := "met"
			if p99x > 1.5 {
				verdict = "MISSED"
			}
			fmt.Printf("ratio endpoint=%s path=%s p50_x_bare=%.2f p99_x_bare=%.2f cpu_x_bare=%.2f same_sql=%s goal(p99<=1.5x)=%s\n",
				ep, path, f.p50/bf.p50, p99x, f.cpuPer1k/bf.cpuPer1k, same, verdict)
		}
	}
	return nil
}

func (o options) profileFor(endpoint, path string) string {
	if o.profileDir == "" || path != "atrium-1" {
		return ""
	}
	return filepath.Join(o.profileDir, "atrium-"+endpoint+".pprof")
}

// figures are one load's results.
type figures struct {
	n, errors         int
	status            map[int]int
	p50, p99, max     float64
	cpuPer1k, pgPer1k float64
	allocsPerReq      float64
	sqlPerReq         float64
	sqlIDs            []int64
	sqlText           map[int64]string
}

func (f figures) print(path, ep string, rate float64) {
	errs := ""
	for st, n := range f.status {
		errs += fmt.Sprintf(" status_%d=%d", st, n)
	}
	fmt.Printf("path=%s endpoint=%s rate=%.0f n=%d errors=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.1f cpu_s_per_1k=%.3f pg_cpu_s_per_1k=%.3f allocs_per_req=%.0f sql_per_req=%.1f%s\n",
		path, ep, rate, f.n, f.errors, f.p50, f.p99, f.max, f.cpuPer1k, f.pgPer1k, f.allocsPerReq, f.sqlPerReq, errs)
}

// measure runs one load against ps and reads the counters around its
// measured window.
func measure(ctx context.Context, db *pgx.Conn, t *target, s schedule, workers int, mk func(int) request, ps []*proc, pgPIDs func() []int, profile string) (figures, error) {
	var f figures
	var cpu0, pg0 float64
	var mallocs0 uint64
	var err error
	tree := func() []int {
		var roots []int
		for _, p := range ps {
			roots = append(roots, p.pid())
		}
		return procstat.ProcessTree(roots...)
	}
	mallocs := func() uint64 {
		var n uint64
		for _, p := range ps {
			st, e := goStats(p)
			if e != nil && err == nil {
				err = e
			}
			n += st.Mallocs
		}
		return n
	}
	var profDone chan error
	out := t.run(s, workers, mk, func(start bool) {
		if start {
			if _, e := db.Exec(ctx, `SELECT pg_stat_statements_reset()`); e != nil && err == nil {
				err = fmt.Errorf("reset pg_stat_statements: %w", e)
			}
			cpu0, pg0, mallocs0 = procstat.CPUSeconds(tree()), procstat.CPUSeconds(pgPIDs()), mallocs()
			if profile != "" {
				profDone = make(chan error, 1)
				go func() { profDone <- fetchProfile(ps[0], profile, s.length) }()
			}
			return
		}
		cpu1, pg1, mallocs1 := procstat.CPUSeconds(tree()), procstat.CPUSeconds(pgPIDs()), mallocs()
		f.cpuPer1k, f.pgPer1k = cpu1-cpu0, pg1-pg0
		f.allocsPerReq = float64(mallocs1 - mallocs0)
	})
	if err != nil {
		return f, err
	}
	if profDone != nil {
		if e := <-profDone; e != nil {
			fmt.Fprintln(os.Stderr, "bench-api: profile:", e)
		}
	}
	if out.n == 0 {
		return f, fmt.Errorf("no request was measured")
	}
	f.n, f.status = out.n, out.status
	f.errors = out.n - len(out.lat)
	f.cpuPer1k = f.cpuPer1k / float64(out.n) * 1000
	f.pgPer1k = f.pgPer1k / float64(out.n) * 1000
	f.allocsPerReq /= float64(out.n)
	f.p50, f.p99 = quantile(out.lat, 0.50), quantile(out.lat, 0.99)
	if len(out.lat) > 0 {
		f.max = float64(out.lat[len(out.lat)-1]) / float64(time.Millisecond)
	}
	if f.errors > out.n/10 {
		return f, fmt.Errorf("%d of %d requests failed (%v); the figures would mean nothing", f.errors, out.n, out.status)
	}
	return f, readStatements(ctx, db, &f, out.n)
}

// readStatements keeps the statements run at least once per two
// requests: the per-request SQL, not the background work of idle cores.
func readStatements(ctx context.Context, db *pgx.Conn, f *figures, n int) error {
	rows, err := db.Query(ctx, `SELECT queryid, sum(calls)::bigint, min(query) FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY queryid`)
	if err != nil {
		return fmt.Errorf("read pg_stat_statements: %w", err)
	}
	defer rows.Close()
	f.sqlText = map[int64]string{}
	var calls int64
	for rows.Next() {
		var id, c int64
		var q string
		if err := rows.Scan(&id, &c, &q); err != nil {
			return err
		}
		if c*2 < int64(n) {
			continue
		}
		f.sqlIDs = append(f.sqlIDs, id)
		f.sqlText[id] = q
		calls += c
	}
	slices.Sort(f.sqlIDs)
	f.sqlPerReq = float64(calls) / float64(n)
	return rows.Err()
}

// sqlDiff names the statements one server ran per request and the other
// did not.
func sqlDiff(bare, core figures) string {
	var out []string
	short := func(q string) string {
		q = strings.Join(strings.Fields(q), " ")
		if len(q) > 80 {
			q = q[:80] + "…"
		}
		return q
	}
	for _, id := range core.sqlIDs {
		if !slices.Contains(bare.sqlIDs, id) {
			out = append(out, "core only: "+short(core.sqlText[id]))
		}
	}
	for _, id := range bare.sqlIDs {
		if !slices.Contains(core.sqlIDs, id) {
			out = append(out, "bare only: "+short(bare.sqlText[id]))
		}
	}
	return strings.Join(out, "; ")
}

// fetchProfile saves a CPU profile of p over d.
func fetchProfile(p *proc, path string, d time.Duration) error {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.stats, max(1, int(d.Seconds())-1)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	_, err = io.Copy(out, resp.Body)
	return err
}

// postgresPIDs returns what finds the postmaster and its backends.
func postgresPIDs(dir string) func() []int {
	return func() []int {
		matches, _ := filepath.Glob(filepath.Join(dir, "*", "postmaster.pid"))
		if m, _ := filepath.Glob(filepath.Join(dir, "postmaster.pid")); len(m) > 0 {
			matches = append(matches, m...)
		}
		for _, m := range matches {
			raw, err := os.ReadFile(m)
			if err != nil {
				continue
			}
			var pid int
			if _, err := fmt.Sscan(string(raw), &pid); err == nil {
				return procstat.ProcessTree(pid)
			}
		}
		return nil
	}
}

func getJSON(url, key string, v any) error {
	body, err := get(url, key)
	if err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}

func get(url, key string) ([]byte, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("GET %s: HTTP %d: %s", url, resp.StatusCode, bytes.TrimSpace(body))
	}
	return body, err
}

// sameAnswers checks that bare and the core answer list (both pages) and
// get alike for every reader, and learns each reader's second-page cursor.
func sameAnswers(bare, core string, readers []*client) error {
	for _, c := range readers {
		page := "/api/v1/sessions?org=" + c.orgID.String() + "&limit=50"
		var first struct {
			NextCursor string `json:"next_cursor"`
		}
		for _, uri := range []string{page, "", "/api/v1/sessions/" + c.ids[0].String()} {
			if uri == "" {
				uri = page + "&cursor=" + first.NextCursor
			}
			a, err := get("http://"+bare+uri, c.key)
			if err != nil {
				return fmt.Errorf("bare: %w", err)
			}
			b, err := get("http://"+core+uri, c.key)
			if err != nil {
				return fmt.Errorf("core: %w", err)
			}
			var av, bv any
			if err := json.Unmarshal(a, &av); err != nil {
				return err
			}
			if err := json.Unmarshal(b, &bv); err != nil {
				return err
			}
			if !reflect.DeepEqual(av, bv) {
				return fmt.Errorf("bare and the core answer GET %s differently:\nbare: %.400s\ncore: %.400s", uri, a, b)
			}
			if first.NextCursor == "" {
				if err := json.Unmarshal(a, &first); err != nil {
					return err
				}
				if first.NextCursor == "" {
					return fmt.Errorf("reader %s has a single page; seed more sessions", c.userID)
				}
			}
		}
		c.cursor = first.NextCursor
	}
	return nil
}
