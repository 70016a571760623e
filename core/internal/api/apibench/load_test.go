package main

import (
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// A server slower than the schedule must show its queue in the latencies:
// each request counts from when it was due, not from when a worker got
// to send it (no coordinated omission).
func TestLoadChargesQueueing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) { time.Sleep(50 * time.Millisecond) }}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Shutdown()

	tg := newTarget([]string{ln.Addr().String()}, []net.IP{net.IPv4(127, 0, 0, 1)}, 1)
	s := schedule{rate: 100, warmup: 0, length: 500 * time.Millisecond}
	windows := 0
	out := tg.run(s, 1, func(int) request { return request{method: "GET", uri: "/", key: "k"} }, func(bool) { windows++ })
	if out.n != s.total() || len(out.lat) != out.n {
		t.Fatalf("measured %d requests (%d ok), want %d", out.n, len(out.lat), s.total())
	}
	if windows != 2 {
		t.Fatalf("window called %d times, want 2 (start and end)", windows)
	}
	// 50 requests due over 0.5 s, served one at a time in 50 ms each: the
	// last waits about 50×50 ms − 0.5 s = 2 s. A closed loop would report 50 ms.
	if p99 := quantile(out.lat, 0.99); p99 < 1500 {
		t.Fatalf("p99 %.0f ms; the queue behind a slow server is not counted", p99)
	}
	if p50 := quantile(out.lat, 0.5); p50 < 500 {
		t.Fatalf("p50 %.0f ms; the queue behind a slow server is not counted", p50)
	}
}
