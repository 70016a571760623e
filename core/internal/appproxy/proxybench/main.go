// Command proxybench benchmarks the Atrium app proxy against the same app
// reached directly, in one run, on loopback and the local Docker bridge,
// and prints per app:
//
//	path=APP-direct rps=… p50_ms=… p99_ms=… cpu_us_per_req=… allocs_per_req=…
//	path=APP-atrium rps=… p50_ms=… p99_ms=… cpu_us_per_req=… allocs_per_req=…
//	path=APP-nginx  rps=… p50_ms=… p99_ms=… cpu_us_per_req=… allocs_per_req=…
//	ratio app=APP x_direct_rps=… added_p99_ms=… proxy_cpu_us_per_req=… proxy_allocs_per_req=… nginx_x_direct_rps=… … goal(>=0.60x, <=1ms)=met|missed
//
// Two apps:
//
//	go       a tiny Go HTTP handler in this process: the worst case, where
//	         the proxy's own cost is most of each request's
//	jupyter  the real atrium/jupyter image in a container, GET /api (its
//	         version; no login, so the direct path needs no token)
//
// The nginx path is a peer: Debian's nginx as a plain keep-alive reverse
// proxy to the same app, what one more HTTP hop costs on this machine with
// a proxy that checks nothing (-nginx=false leaves it out). Its
// cpu_us_per_req includes nginx's processes.
//
// The atrium path is the core's Fiber server with the app proxy in
// isolation mode, the app cookie checked against a real PostgreSQL, and a
// fresh TCP connection per tunnel, pooled as in the core. Each path gets
// -warmup requests, then -requests from -concurrency keep-alive clients,
// split into -rounds in which the two paths take turns, so load from
// elsewhere on the machine hits both alike; rps is the median round's,
// p50 and p99 are over every request.
//
// cpu_us_per_req and allocs_per_req count this whole process (the client,
// the proxy, and the go app), so the proxy's own cost is the difference
// between a pair, printed on the ratio line. The client, the proxy and the
// app share this machine's cores, so the atrium path also pays for the
// extra hop's CPU: the ratio is what one host sees, not the proxy alone.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/hashicorp/go-hclog"
)

func main() {
	var o options
	flag.IntVar(&o.requests, "requests", 20000, "measured requests per path")
	flag.IntVar(&o.warmup, "warmup", 2000, "unmeasured requests per path first")
	flag.IntVar(&o.concurrency, "concurrency", 16, "concurrent keep-alive clients")
	flag.IntVar(&o.rounds, "rounds", 10, "rounds the measured requests are split into; the paths take turns, and rps is the median round's")
	apps := flag.String("apps", "go,jupyter", "apps to measure, comma-separated: go, jupyter (needs Docker and the atrium/jupyter image)")
	flag.BoolVar(&o.nginx, "nginx", true, "also measure Debian's nginx as a plain reverse proxy in front of each app, as a peer")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the go app's atrium path to this file")
	flag.Parse()
	o.apps = strings.Split(*apps, ",")
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-proxy:", err)
		os.Exit(1)
	}
}

type options struct {
	requests, warmup, concurrency, rounds int
	apps                                  []string
	nginx                                 bool
	cpuProfile                            string
}

func run(o options) error {
	ctx := context.Background()
	log := hclog.New(&hclog.LoggerOptions{Name: "bench-proxy", Level: hclog.Warn, Output: os.Stderr})

	var apps []app
	for _, name := range o.apps {
		a, stop, err := startApp(ctx, name)
		if err != nil {
			return err
		}
		defer stop()
		apps = append(apps, a)
	}
	env, stop, err := startFront(ctx, apps, log)
	if err != nil {
		return err
	}
	defer stop()

	for _, a := range apps {
		paths := []*tally{
			newTally(a.name+"-direct", target{addr: a.addr, host: "127.0.0.1", path: a.path}, o.concurrency),
			newTally(a.name+"-atrium", target{addr: env.addr, host: env.hosts[a.name], path: a.path, decorate: env.decorate(a.name)}, o.concurrency),
		}
		if o.nginx {
			n, err := startNginx(a.addr)
			if err != nil {
				return err
			}
			defer n.stop()
			t := newTally(a.name+"-nginx", target{addr: n.addr, host: "127.0.0.1", path: a.path}, o.concurrency)
			t.extCPU = n.cpu
			paths = append(paths, t)
		}
		for _, t := range paths {
			t.round(o.warmup, o.concurrency, false)
		}
		end := func() {}
		if o.cpuProfile != "" && a.name == "go" {
			end = startProfile(o.cpuProfile)
		}
		per := max(o.requests/o.rounds, 1)
		for i := range o.rounds {
			// Each path goes first in turn.
			for j := range paths {
				paths[(i+j)%len(paths)].round(per, o.concurrency, true)
			}
		}
		end()
		res := map[string]result{}
		for _, t := range paths {
			r := t.result()
			if r.rps == 0 {
				return fmt.Errorf("path %s: no request succeeded", t.name)
			}
			res[t.name] = r
			fmt.Printf("path=%s rps=%.0f p50_ms=%.3f p99_ms=%.3f cpu_us_per_req=%.1f allocs_per_req=%.1f\n",
				t.name, r.rps, r.p50, r.p99, r.cpuUS, r.allocs)
		}
		d, p := res[a.name+"-direct"], res[a.name+"-atrium"]
		ratio := p.rps / d.rps
		added := p.p99 - d.p99
		verdict := "met"
		if ratio < 0.6 || added > 1 {
			verdict = "missed"
		}
		peer := ""
		if n, ok := res[a.name+"-nginx"]; ok {
			peer = fmt.Sprintf(" nginx_x_direct_rps=%.2f nginx_added_p99_ms=%.3f nginx_cpu_us_per_req=%.1f x_nginx_rps=%.2f",
				n.rps/d.rps, n.p99-d.p99, n.cpuUS-d.cpuUS, p.rps/n.rps)
		}
		fmt.Printf("ratio app=%s x_direct_rps=%.2f added_p99_ms=%.3f proxy_cpu_us_per_req=%.1f proxy_allocs_per_req=%.1f%s goal(>=0.60x, <=1ms)=%s requests=%d concurrency=%d\n",
			a.name, ratio, added, p.cpuUS-d.cpuUS, p.allocs-d.allocs, peer, verdict, o.requests, o.concurrency)
	}
	fmt.Printf("tunnels_opened=%d\n", dials.Load())
	return nil
}

// startProfile starts the CPU profile and returns what stops it.
func startProfile(path string) func() {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-proxy: CPU profile:", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}
