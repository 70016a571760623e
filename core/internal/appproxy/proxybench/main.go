// Command proxy benchmarks the Atrium app proxy against the same app
// reached directly, in one run, on loopback only, and prints one line per
// path:
//
//	direct         client → a small Go HTTP app
//	atrium-proxy   client → the core's Fiber server with the app proxy
//	               (isolation mode, a real app cookie checked against a
//	               real PostgreSQL) → a tunnel-like fresh TCP connection per
//	               dial, pooled → the same app
//
// Each path gets -warmup requests, then -requests requests from
// -concurrency keep-alive clients; rps is requests over wall time, and
// p50/p99 are per-request latencies. The client, the proxy and the app
// share this machine's cores, so the proxy path also pays for the extra
// process's CPU: the ratio is what one host sees, not the proxy alone.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hashicorp/go-hclog"
	"github.com/valyala/fasthttp"

	"github.com/atrium-hq/atrium/core/internal/appproxy"
	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/pgembed"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

func main() {
	requests := flag.Int("requests", 20000, "measured requests per path")
	warmup := flag.Int("warmup", 2000, "unmeasured requests per path first")
	concurrency := flag.Int("concurrency", 16, "concurrent keep-alive clients")
	flag.Parse()
	if err := run(*requests, *warmup, *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "bench-proxy:", err)
		os.Exit(1)
	}
}

// result is one path's figures.
type result struct {
	rps, p50, p99 float64
}

func run(requests, warmup, concurrency int) error {
	ctx := context.Background()
	log := hclog.New(&hclog.LoggerOptions{Name: "bench-proxy", Level: hclog.Warn, Output: os.Stderr})

	app, err := startApp()
	if err != nil {
		return err
	}
	st, stop, err := database(ctx, log)
	if err != nil {
		return err
	}
	defer stop()
	sess, userID, loginID, err := seed(ctx, st)
	if err != nil {
		return err
	}
	front, p, err := startFront(st, app, log)
	if err != nil {
		return err
	}
	host := sess.ID.String() + ".apps.bench"
	cookie, err := openApp(ctx, p, front, host, sess, userID, loginID)
	if err != nil {
		return err
	}

	direct := measure(app, "127.0.0.1", nil, requests, warmup, concurrency)
	proxied := measure(front, host, func(r *fasthttp.Request) { r.Header.SetCookie(appproxy.PlainAppCookie, cookie) }, requests, warmup, concurrency)
	for _, r := range []struct {
		name string
		res  result
	}{{"direct", direct}, {"atrium-proxy", proxied}} {
		if r.res.rps == 0 {
			return fmt.Errorf("path %s: no request succeeded", r.name)
		}
		fmt.Printf("path=%s rps=%.0f p50_ms=%.3f p99_ms=%.3f\n", r.name, r.res.rps, r.res.p50, r.res.p99)
	}
	ratio := proxied.rps / direct.rps
	added := proxied.p99 - direct.p99
	verdict := "met"
	if ratio < 0.6 || added > 1 {
		verdict = "missed"
	}
	fmt.Printf("ratio x_direct_rps=%.2f added_p99_ms=%.3f goal(>=0.60x, <=1ms)=%s requests=%d concurrency=%d\n",
		ratio, added, verdict, requests, concurrency)
	fmt.Printf("tunnels_opened=%d\n", dials.Load())
	return nil
}

// startApp serves a small app: a short text body, like an app's API call.
func startApp() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen for the app: %w", err)
	}
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ok":true,"path":"`+r.URL.Path+`"}`)
		}))
	}()
	return ln.Addr().String(), nil
}

// database starts a throwaway PostgreSQL and migrates it.
func database(ctx context.Context, log hclog.Logger) (*store.Store, func(), error) {
	dir, err := os.MkdirTemp("", "atrium-bench-proxy-")
	if err != nil {
		return nil, nil, fmt.Errorf("create a directory for PostgreSQL: %w", err)
	}
	srv, err := pgembed.Start(ctx, pgembed.Options{Dir: dir, Logger: log, Settings: map[string]string{"fsync": "off", "synchronous_commit": "off"}})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("start PostgreSQL (install Debian's postgresql package): %w", err)
	}
	stop := func() {
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = srv.Stop(c)
		os.RemoveAll(dir)
	}
	if _, err := store.Migrate(ctx, srv.URL(), log); err != nil {
		stop()
		return nil, nil, err
	}
	st, err := store.Open(ctx, srv.URL(), log)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return st, func() { st.Close(); stop() }, nil
}

// seed creates a user logged in with a running session.
func seed(ctx context.Context, st *store.Store) (store.Session, [2][16]byte, [16]byte, error) {
	var zero store.Session
	sys := store.SystemScope()
	org, err := st.CreateOrg(ctx, "bench", "Bench")
	if err != nil {
		return zero, [2][16]byte{}, [16]byte{}, err
	}
	u, err := st.CreateUser(ctx, store.NewUser{Username: "bench", Email: "bench@example.test", DisplayName: "Bench"})
	if err == nil {
		_, err = st.AddMember(ctx, sys, org.ID, u.ID, store.RoleMember)
	}
	if err != nil {
		return zero, [2][16]byte{}, [16]byte{}, err
	}
	_, hash := authn.NewToken()
	_, csrf := authn.NewToken()
	ls, err := st.CreateLoginSession(ctx, store.NewLoginSession{TokenHash: hash, CSRFHash: csrf, UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		return zero, [2][16]byte{}, [16]byte{}, err
	}
	s, err := st.CreateSession(ctx, sys, store.NewSession{OrgID: org.ID, UserID: u.ID, Template: "bench", Runtime: "bench"})
	if err == nil {
		_, err = st.TransitionSession(ctx, sys, s.ID, store.Transition{To: store.StateStarting})
	}
	if err == nil {
		_, err = st.SetSessionHandle(ctx, sys, s.ID, "bench-1", 1, nil)
	}
	if err == nil {
		s, err = st.TransitionSession(ctx, sys, s.ID, store.Transition{To: store.StateRunning})
	}
	return s, [2][16]byte{u.ID, u.ID}, ls.ID, err
}

// tunnels dials the app afresh for every tunnel, as a runtime would.
type tunnels struct {
	addr  string
	dials *atomic.Int64
}

func (t tunnels) DialPrimary(ctx context.Context, _ store.Session) (session.Connection, error) {
	t.dials.Add(1)
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.addr)
	return session.Connection{Conn: c, Protocol: workspace.ProtocolHTTP}, err
}

// dials counts tunnels opened; pooling should keep it near -concurrency.
var dials atomic.Int64

// startFront serves the proxy as the core does: first middleware of a
// Fiber app configured by appproxy.ConfigureServer.
func startFront(st *store.Store, app string, log hclog.Logger) (string, *appproxy.Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen for the core: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	p, err := appproxy.New(appproxy.Options{Store: st, Sessions: tunnels{app, &dials}, PublicURL: fmt.Sprintf("http://atrium.bench:%d", port),
		AppDomain: "*.apps.bench", Logger: log})
	if err != nil {
		return "", nil, err
	}
	cfg := fiber.Config{DisableStartupMessage: true, ReadTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, BodyLimit: 1 << 20}
	appproxy.ConfigureServer(&cfg)
	f := fiber.New(cfg)
	f.Use(p.Middleware())
	go func() { _ = f.Listener(ln) }()
	return ln.Addr().String(), p, nil
}

// openApp walks the browser's flow and returns the app cookie.
func openApp(ctx context.Context, p *appproxy.Proxy, front, host string, s store.Session, user [2][16]byte, login [16]byte) (string, error) {
	o, err := p.OpenApp(ctx, s, user[0], login)
	if err != nil {
		return "", err
	}
	target := o.URL[strings.Index(o.URL, "/_atrium"):]
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + front + target)
	req.Header.SetHost(host)
	req.UseHostHeader = true
	if err := fasthttp.Do(req, resp); err != nil {
		return "", fmt.Errorf("redeem the app token: %w", err)
	}
	var cookie string
	resp.Header.VisitAllCookie(func(k, v []byte) {
		c := fasthttp.AcquireCookie()
		defer fasthttp.ReleaseCookie(c)
		if string(k) == appproxy.PlainAppCookie && c.ParseBytes(v) == nil {
			cookie = string(c.Value())
		}
	})
	if cookie == "" {
		return "", errors.New("redeeming the app token set no cookie: " + resp.String())
	}
	return cookie, nil
}

// measure runs warmup, then n requests from c keep-alive clients.
func measure(addr, host string, decorate func(*fasthttp.Request), n, warmup, c int) result {
	hc := &fasthttp.HostClient{Addr: addr, MaxConns: c}
	one := func() (time.Duration, bool) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI("http://" + addr + "/api/contents?path=%2Fhome")
		req.Header.SetHost(host)
		req.UseHostHeader = true
		if decorate != nil {
			decorate(req)
		}
		start := time.Now()
		err := hc.Do(req, resp)
		return time.Since(start), err == nil && resp.StatusCode() == 200
	}
	run := func(total int, record bool) ([]time.Duration, time.Duration) {
		var next atomic.Int64
		lat := make([][]time.Duration, c)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range c {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(total) {
					d, ok := one()
					if ok && record {
						lat[i] = append(lat[i], d)
					}
				}
			}()
		}
		wg.Wait()
		return slices.Concat(lat...), time.Since(start)
	}
	run(warmup, false)
	lat, wall := run(n, true)
	if len(lat) == 0 {
		return result{}
	}
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
	return result{rps: float64(len(lat)) / wall.Seconds(), p50: ms(0.5), p99: ms(0.99)}
}
