package main

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// target is one path to an app: where to connect, the Host to send, the
// request target, and what else each request carries (the app cookie).
type target struct {
	addr, host, path string
	decorate         func(*fasthttp.Request)
}

// result is one path's figures.
type result struct {
	rps, p50, p99 float64
	// cpuUS and allocs are this process's CPU time (user + system) and
	// heap allocations per measured request.
	cpuUS, allocs float64
}

// tally gathers one path's rounds. Paths take turns round by round, so a
// burst of load from elsewhere on the machine hits both alike, and rps is
// the median round's.
type tally struct {
	name string
	hc   *fasthttp.HostClient
	// extCPU, when set, is the CPU time so far of another process on
	// this path (nginx), added to this process's.
	extCPU  func() time.Duration
	t       target
	lat     []time.Duration
	rps     []float64
	cpu     time.Duration
	mallocs uint64
	n       int
}

func newTally(name string, t target, concurrency int) *tally {
	return &tally{name: name, hc: &fasthttp.HostClient{Addr: t.addr, MaxConns: concurrency}, t: t}
}

// one sends one request and reports its latency and whether it got 200.
func (t *tally) one() (time.Duration, bool) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + t.t.addr + t.t.path)
	req.Header.SetHost(t.t.host)
	req.UseHostHeader = true
	if t.t.decorate != nil {
		t.t.decorate(req)
	}
	start := time.Now()
	err := t.hc.DoTimeout(req, resp, 10*time.Second)
	return time.Since(start), err == nil && resp.StatusCode() == 200
}

// round sends total requests from c keep-alive clients; recorded rounds
// count towards the result, others warm up.
func (t *tally) round(total, c int, record bool) {
	var next atomic.Int64
	lat := make([][]time.Duration, c)
	for i := range lat {
		lat[i] = make([]time.Duration, 0, total/c+1)
	}
	var wg sync.WaitGroup
	cpu0, mallocs0 := t.usage()
	start := time.Now()
	for i := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) {
				if d, ok := t.one(); ok {
					lat[i] = append(lat[i], d)
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	cpu1, mallocs1 := t.usage()
	if !record {
		return
	}
	ok := slices.Concat(lat...)
	t.lat = append(t.lat, ok...)
	t.rps = append(t.rps, float64(len(ok))/wall.Seconds())
	t.cpu += cpu1 - cpu0
	t.mallocs += mallocs1 - mallocs0
	t.n += total
}

// result sums the recorded rounds up; zero rps means nothing succeeded.
func (t *tally) result() result {
	if len(t.lat) == 0 {
		return result{}
	}
	slices.Sort(t.lat)
	slices.Sort(t.rps)
	ms := func(q float64) float64 {
		return float64(t.lat[int(q*float64(len(t.lat)-1))]) / float64(time.Millisecond)
	}
	n := float64(t.n)
	return result{rps: t.rps[len(t.rps)/2], p50: ms(0.5), p99: ms(0.99),
		cpuUS: float64(t.cpu.Microseconds()) / n, allocs: float64(t.mallocs) / n}
}

// usage is the path's CPU time so far (this process's, and extCPU's) and
// this process's heap allocations.
func (t *tally) usage() (time.Duration, uint64) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if t.extCPU != nil {
		cpu += t.extCPU()
	}
	return cpu, ms.Mallocs
}
