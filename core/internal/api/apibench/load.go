package main

import (
	"net"
	"slices"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// request is one call of the load.
type request struct {
	method, uri string
	body        []byte
	key         string
	// src picks the client source address: create spreads over several
	// loopback addresses because the core limits creates per address.
	src int
}

// schedule is an open-loop load: n requests, request i due at
// start + i/rate whatever became of the ones before it.
type schedule struct {
	rate   float64
	warmup time.Duration
	length time.Duration
}

func (s schedule) total() int { return int(s.rate * (s.warmup + s.length).Seconds()) }

// due is when request i should start, after the load's start.
func (s schedule) due(i int) time.Duration {
	return time.Duration(float64(i) / s.rate * float64(time.Second))
}

// outcome is what one load measured in its window (warm-up excluded).
type outcome struct {
	// lat is each measured request's latency from its due time, so a
	// server that stalls is charged for the requests it kept waiting
	// (no coordinated omission).
	lat    []time.Duration
	status map[int]int // non-2xx answers by status; 0 for transport errors
	n      int
}

// target is the servers a load goes to, round-robin by request, with a
// connection pool per server and source address.
type target struct {
	pools [][]*fasthttp.HostClient // [server][src]
}

func newTarget(addrs []string, srcs []net.IP, conns int) *target {
	t := &target{}
	for _, a := range addrs {
		var row []*fasthttp.HostClient
		for _, ip := range srcs {
			d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 5 * time.Second}
			row = append(row, &fasthttp.HostClient{Addr: a, MaxConns: conns,
				Dial: func(addr string) (net.Conn, error) { return d.Dial("tcp", addr) }})
		}
		t.pools = append(t.pools, row)
	}
	return t
}

// window is called at the start and the end of the measured window.
type window func(start bool)

// run sends the schedule's requests made by mk from workers goroutines
// and measures those due after the warm-up.
func (t *target) run(s schedule, workers int, mk func(i int) request, w window) outcome {
	total := s.total()
	due := make(chan int, total)
	type rec struct {
		i   int
		lat time.Duration
		st  int
	}
	recs := make([][]rec, workers)
	start := time.Now().Add(50 * time.Millisecond)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for i := range due {
				r := mk(i)
				pool := t.pools[i%len(t.pools)][r.src%len(t.pools[0])]
				req.Reset()
				resp.Reset()
				req.Header.SetMethod(r.method)
				req.SetRequestURI("http://" + pool.Addr + r.uri)
				req.Header.Set("Authorization", "Bearer "+r.key)
				if r.body != nil {
					req.Header.SetContentType("application/json")
					req.SetBody(r.body)
				}
				err := pool.DoTimeout(req, resp, 30*time.Second)
				lat := time.Since(start.Add(s.due(i)))
				st := resp.StatusCode()
				if err != nil {
					st = 0
				}
				recs[k] = append(recs[k], rec{i, lat, st})
			}
		}()
	}
	warmEnd := start.Add(s.warmup)
	first := -1
	for i := range total {
		at := start.Add(s.due(i))
		if first < 0 && !at.Before(warmEnd) {
			first = i
			time.Sleep(time.Until(at))
			w(true)
		}
		time.Sleep(time.Until(at))
		due <- i
	}
	close(due)
	wg.Wait()
	w(false)
	out := outcome{status: map[int]int{}}
	for _, rs := range recs {
		for _, r := range rs {
			if r.i < first {
				continue
			}
			out.n++
			if r.st < 200 || r.st > 299 {
				out.status[r.st]++
				continue
			}
			out.lat = append(out.lat, r.lat)
		}
	}
	slices.Sort(out.lat)
	return out
}

// quantile of sorted latencies, in milliseconds.
func quantile(lat []time.Duration, q float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / float64(time.Millisecond)
}
