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

// result is one path's figures.
type result struct {
	rps, p50, p99 float64
	// cpuUS and allocs are this process's CPU time (user + system) and
	// heap allocations per measured request.
	cpuUS, allocs float64
}

// measure runs o.warmup requests, then o.requests from o.concurrency
// keep-alive clients, for path on addr with the given Host.
func measure(addr, host, path string, decorate func(*fasthttp.Request), o options) result {
	hc := &fasthttp.HostClient{Addr: addr, MaxConns: o.concurrency}
	one := func() (time.Duration, bool) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI("http://" + addr + path)
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
		lat := make([][]time.Duration, o.concurrency)
		for i := range lat {
			lat[i] = make([]time.Duration, 0, total/o.concurrency+1)
		}
		var wg sync.WaitGroup
		start := time.Now()
		for i := range o.concurrency {
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
	run(o.warmup, false)
	cpu0, mallocs0 := usage()
	lat, wall := run(o.requests, true)
	cpu1, mallocs1 := usage()
	if len(lat) == 0 {
		return result{}
	}
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
	n := float64(o.requests)
	return result{rps: float64(len(lat)) / wall.Seconds(), p50: ms(0.5), p99: ms(0.99),
		cpuUS: float64((cpu1 - cpu0).Microseconds()) / n, allocs: float64(mallocs1-mallocs0) / n}
}

// usage is this process's CPU time so far and its heap allocations.
func usage() (time.Duration, uint64) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ms.Mallocs
}
