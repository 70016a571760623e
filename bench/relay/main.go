// Command relay benchmarks the Atrium VNC relay against its peers in one
// run, on loopback only, and prints one line per path:
//
//	direct            client ⇄ upstream over TCP
//	websockify        Debian's websockify (Python) between them
//	atrium-endpoint   the Atrium relay, dialing the upstream itself
//	atrium-socket     the Atrium relay through a socket-mode tunnel: a real
//	                  runtime plugin process (tunnelplugin, served by the
//	                  SDK) reached over a unix socket, dialing the upstream
//	k8s-*             the same upstream in a pod on a Kubernetes cluster
//	                  (see kubePaths), compared with k8s-direct
//
// For each path: the throughput of one stream of -size bytes from the
// upstream to the client (the framebuffer direction: mibps, x_direct,
// cpu_s_per_gb), the throughput of -size bytes from the client to the
// upstream in -up-msg byte messages (the browser's direction: mibps_up,
// x_direct_up, cpu_s_per_gb_up; a WebSocket client masks every frame, as
// browsers must, so the relay has to unmask every byte), 64-byte round
// trips, and the memory each idle stream costs with -idle streams open. CPU per
// GB counts only the relaying processes (websockify and its per-connection
// children; relayserver and its plugin child), read from /proc/<pid>/stat
// before and after the stream. The client and the upstream run in this
// process and are not counted. Every figure is printed as measured; the
// goal line only compares them.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/atrium-hq/atrium/test/k8stest"
	"github.com/atrium-hq/atrium/test/procstat"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-relay:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	size      uint64
	rtts      int
	idle      int
	wsfyIdle  int
	buffer    int
	upMsg     int
	paths     map[string]bool
	verbosity bool
}

func run() error {
	var o options
	flag.Uint64Var(&o.size, "size", 1<<30, "bytes in the throughput stream")
	flag.IntVar(&o.rtts, "rtt", 20000, "64-byte round trips per path")
	flag.IntVar(&o.idle, "idle", 1000, "idle streams held open to measure memory per stream")
	flag.IntVar(&o.wsfyIdle, "websockify-idle", 200, "idle streams for websockify: it forks a Python process per stream, a few per second on 2 cores, so 1000 would take minutes; the per-stream figure is what matters")
	flag.IntVar(&o.buffer, "relay-buffer", 0, "Atrium relay copy buffer in bytes; 0 for its default")
	flag.IntVar(&o.upMsg, "up-msg", 32<<10, "bytes per client message (one write on the direct path) in the client→upstream stream")
	paths := flag.String("paths", "direct,websockify,atrium-endpoint,atrium-socket,k8s", "comma-separated paths to run; direct always runs, as the reference; k8s runs k8s-direct, k8s-endpoint and k8s-socket against a pod")
	flag.BoolVar(&o.verbosity, "v", false, "show websockify's log")
	serve := flag.String("serve-upstream", "", "serve only the upstream on this address (what the k8s paths run in their pod)")
	kubeconfig := flag.String("kubeconfig", k8stest.KubeconfigPath(), "kubeconfig of the cluster the k8s-* paths run a pod on")
	flag.Parse()
	if *serve != "" {
		u, err := startUpstream(*serve)
		if err != nil {
			return err
		}
		u.wg.Wait()
		return nil
	}
	o.paths = map[string]bool{"direct": true}
	for p := range strings.SplitSeq(*paths, ",") {
		o.paths[strings.TrimSpace(p)] = true
	}
	if o.size < 1<<20 || o.rtts < 100 || o.idle < 10 {
		return errors.New("use -size ≥ 1 MiB, -rtt ≥ 100 and -idle ≥ 10")
	}
	if o.upMsg < 1 || o.upMsg > clientWriteBuffer {
		return fmt.Errorf("use 1 ≤ -up-msg ≤ %d, so each message leaves the client as one frame", clientWriteBuffer)
	}
	logTo := io.Discard
	if o.verbosity {
		logTo = os.Stderr
	}

	tmp, err := os.MkdirTemp("", "atrium-bench-relay-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	relayServer, tunnelPlugin, err := buildHelpers(tmp)
	if err != nil {
		return err
	}
	up, err := startUpstream("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start the upstream: %w", err)
	}
	defer up.close()

	fmt.Printf("# relay benchmark: stream %d MiB upstream→client and %d MiB client→upstream in %d B masked messages (_up), %d round trips of 64 B, %d idle streams (websockify %d); loopback, GOMAXPROCS=default, %s\n",
		o.size>>20, o.size>>20, o.upMsg, o.rtts, o.idle, o.wsfyIdle, time.Now().UTC().Format(time.RFC3339))

	var results []result
	openDirect := func() (stream, error) { return dialTCP(up.addr()) }
	direct, err := measure("direct", o, up, nil, openDirect)
	if err != nil {
		return err
	}
	direct.directMibps, direct.directMibpsUp = direct.mibps, direct.mibpsUp
	results = append(results, direct)
	direct.print()
	// Loopback TCP's own throughput swings by a third between runs on a
	// shared machine; each path is compared with direct streams measured
	// just before and just after it.
	besides := func(name string, run func() (result, error)) error {
		before, err := directThroughput(o, openDirect)
		if err != nil {
			return err
		}
		r, err := run()
		if err != nil {
			return err
		}
		after, err := directThroughput(o, openDirect)
		if err != nil {
			return err
		}
		r.directMibps = (before.mibps + after.mibps) / 2
		r.directMibpsUp = (before.mibpsUp + after.mibpsUp) / 2
		results = append(results, r)
		r.print()
		return nil
	}

	if o.paths["websockify"] {
		wsfy, err := startWebsockify(up.addr(), logTo)
		if err != nil {
			return err
		}
		err = besides("websockify", func() (result, error) {
			return measure("websockify", withIdle(o, o.wsfyIdle), up, wsfy, func() (stream, error) { return dialWS(wsfy.url, relayOrigin) })
		})
		wsfy.stop()
		if err != nil {
			return err
		}
	}

	for _, mode := range []string{"endpoint", "socket"} {
		if !o.paths["atrium-"+mode] {
			continue
		}
		p, err := startRelayServer(relayServer, mode, tunnelPlugin, up.addr(), o.buffer, os.Stderr)
		if err != nil {
			return err
		}
		err = besides("atrium-"+mode, func() (result, error) {
			return measure("atrium-"+mode, o, up, p, func() (stream, error) { return p.openTicketed() })
		})
		p.stop()
		if err != nil {
			return err
		}
	}
	if o.paths["k8s"] {
		if err := kubePaths(o, *kubeconfig, relayServer, tunnelPlugin); err != nil {
			return err
		}
	}
	printGoal(results)
	return nil
}

func withIdle(o options, n int) options {
	o.idle = n
	return o
}

// result is one path's figures.
type result struct {
	name        string
	mibps       float64
	cpuPerGB    float64 // NaN when no relaying process exists
	mibpsUp     float64 // client→upstream
	cpuPerGBUp  float64 // client→upstream; NaN when no relaying process exists
	p50, p99    time.Duration
	p999        time.Duration
	kbPerIdle   float64 // NaN when no relaying process exists
	idle        int     // idle streams kbPerIdle was measured with
	allocsPerMB float64 // NaN unless the relay is a Go process we can ask
	heapKBIdle  float64 // NaN unless the relay is a Go process we can ask
	// directMibps and directMibpsUp are direct TCP's throughput measured
	// around this path's, which x_direct divides by.
	directMibps, directMibpsUp float64
}

func (r result) print() {
	fmt.Printf("path=%s mibps=%.0f x_direct=%.2f cpu_s_per_gb=%s rtt_p50_us=%.1f rtt_p99_us=%.1f rtt_p999_us=%.1f kb_per_idle_stream=%s idle_streams=%d mibps_up=%.0f x_direct_up=%.2f cpu_s_per_gb_up=%s",
		r.name, r.mibps, r.mibps/r.directMibps, num(r.cpuPerGB, 2), us(r.p50), us(r.p99), us(r.p999), num(r.kbPerIdle, 1), r.idle,
		r.mibpsUp, r.mibpsUp/r.directMibpsUp, num(r.cpuPerGBUp, 2))
	if r.name != "direct" {
		fmt.Printf(" direct_mibps=%.0f direct_mibps_up=%.0f", r.directMibps, r.directMibpsUp)
	}
	if !math.IsNaN(r.allocsPerMB) {
		fmt.Printf(" allocs_per_mb=%.1f heap_kb_per_idle_stream=%s", r.allocsPerMB, num(r.heapKBIdle, 1))
	}
	fmt.Println()
}

func num(v float64, prec int) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// printGoal compares the full Atrium path with the goals.
func printGoal(rs []result) {
	get := func(name string) result {
		for _, r := range rs {
			if r.name == name {
				return r
			}
		}
		return result{}
	}
	w := get("websockify")
	if w.name == "" {
		return
	}
	check := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	for _, x := range []result{get("atrium-endpoint"), get("atrium-socket")} {
		if x.name == "" {
			continue
		}
		fmt.Printf("# goal %s: x_direct %.2f ≥ 0.45 %s (up %.2f %s); x_websockify %.2f ≥ 3 %s (up %.2f %s); p50 %.1f µs ≤ websockify %.1f µs %s; %.1f KB/idle stream ≤ 64 %s\n",
			x.name,
			x.mibps/x.directMibps, check(x.mibps/x.directMibps >= 0.45),
			x.mibpsUp/x.directMibpsUp, check(x.mibpsUp/x.directMibpsUp >= 0.45),
			x.mibps/w.mibps, check(x.mibps/w.mibps >= 3),
			x.mibpsUp/w.mibpsUp, check(x.mibpsUp/w.mibpsUp >= 3),
			us(x.p50), us(w.p50), check(x.p50 <= w.p50),
			x.kbPerIdle, check(x.kbPerIdle <= 64))
	}
}

// directThroughput measures direct TCP's throughput both ways, to compare
// the path measured next to it with.
func directThroughput(o options, open func() (stream, error)) (result, error) {
	var r result
	if err := throughput(&r, o, nil, open); err != nil {
		return r, fmt.Errorf("direct: throughput: %w", err)
	}
	if err := throughputUp(&r, o, nil, open); err != nil {
		return r, fmt.Errorf("direct: client→upstream throughput: %w", err)
	}
	return r, nil
}

// measure runs the three measurements on one path. p is the relaying
// process (nil for direct).
func measure(name string, o options, up *upstream, p *peer, open func() (stream, error)) (result, error) {
	r := result{name: name, cpuPerGB: math.NaN(), cpuPerGBUp: math.NaN(), kbPerIdle: math.NaN(), allocsPerMB: math.NaN(), heapKBIdle: math.NaN()}
	if err := throughput(&r, o, p, open); err != nil {
		return r, fmt.Errorf("%s: throughput: %w", name, err)
	}
	if err := throughputUp(&r, o, p, open); err != nil {
		return r, fmt.Errorf("%s: client→upstream throughput: %w", name, err)
	}
	if err := roundTrips(&r, o, open); err != nil {
		return r, fmt.Errorf("%s: round trips: %w", name, err)
	}
	if p != nil && up != nil {
		if err := idleMemory(&r, o, up, p, open); err != nil {
			return r, fmt.Errorf("%s: idle streams: %w", name, err)
		}
	}
	return r, nil
}

func throughput(r *result, o options, p *peer, open func() (stream, error)) error {
	s, err := open()
	if err != nil {
		return err
	}
	defer s.close()
	buf := make([]byte, 256<<10)
	var pids []int
	var cpu0 float64
	var st0 map[string]uint64
	if p != nil {
		// The tree includes the per-connection child websockify forked for s.
		pids = procstat.ProcessTree(p.pid())
		cpu0 = procstat.CPUSeconds(pids)
		if p.stats != "" {
			if st0, err = p.goStats(false); err != nil {
				return err
			}
		}
	}
	start := time.Now()
	if err := s.send(command(opSource, o.size)); err != nil {
		return err
	}
	var got uint64
	for got < o.size {
		n, err := s.Read(buf)
		got += uint64(n)
		if err != nil && got < o.size {
			return fmt.Errorf("after %d of %d bytes: %w", got, o.size, err)
		}
	}
	elapsed := time.Since(start)
	r.mibps = float64(o.size) / (1 << 20) / elapsed.Seconds()
	if p != nil {
		cpu := procstat.CPUSeconds(procstat.ProcessTree(p.pid())) - cpu0
		r.cpuPerGB = cpu / (float64(o.size) / 1e9)
		if st0 != nil {
			st1, err := p.goStats(false)
			if err != nil {
				return err
			}
			r.allocsPerMB = float64(st1["mallocs"]-st0["mallocs"]) / (float64(o.size) / (1 << 20))
		}
	}
	return nil
}

// throughputUp sends o.size bytes from the client in o.upMsg byte messages
// and times them until the upstream acknowledges the last byte.
func throughputUp(r *result, o options, p *peer, open func() (stream, error)) error {
	s, err := open()
	if err != nil {
		return err
	}
	defer s.close()
	msg := make([]byte, o.upMsg)
	copy(msg, source)
	var pids []int
	var cpu0 float64
	if p != nil {
		pids = procstat.ProcessTree(p.pid())
		cpu0 = procstat.CPUSeconds(pids)
	}
	start := time.Now()
	if err := s.send(command(opSink, o.size)); err != nil {
		return err
	}
	for left := o.size; left > 0; {
		m := msg[:min(uint64(len(msg)), left)]
		if err := s.send(m); err != nil {
			return fmt.Errorf("after %d of %d bytes: %w", o.size-left, o.size, err)
		}
		left -= uint64(len(m))
	}
	var ack [1]byte
	if _, err := io.ReadFull(s, ack[:]); err != nil {
		return fmt.Errorf("wait for the upstream's ack: %w", err)
	}
	if ack[0] != sinkAck {
		return fmt.Errorf("upstream answered %q, want %q", ack[0], sinkAck)
	}
	elapsed := time.Since(start)
	r.mibpsUp = float64(o.size) / (1 << 20) / elapsed.Seconds()
	if p != nil {
		cpu := procstat.CPUSeconds(procstat.ProcessTree(p.pid())) - cpu0
		r.cpuPerGBUp = cpu / (float64(o.size) / 1e9)
	}
	return nil
}

func roundTrips(r *result, o options, open func() (stream, error)) error {
	s, err := open()
	if err != nil {
		return err
	}
	defer s.close()
	if err := s.send(command(opEcho, 0)); err != nil {
		return err
	}
	msg := make([]byte, 64)
	buf := make([]byte, 64)
	times := make([]time.Duration, 0, o.rtts)
	warm := o.rtts / 20
	for i := range o.rtts + warm {
		start := time.Now()
		if err := s.send(msg); err != nil {
			return err
		}
		if _, err := io.ReadFull(s, buf); err != nil {
			return err
		}
		if i >= warm {
			times = append(times, time.Since(start))
		}
	}
	slices.Sort(times)
	pick := func(q float64) time.Duration { return times[min(len(times)-1, int(q*float64(len(times))))] }
	r.p50, r.p99, r.p999 = pick(0.50), pick(0.99), pick(0.999)
	return nil
}

// idleMemory opens o.idle streams that carry nothing and reads the growth
// of the relaying processes' memory. Method: proportional set size (PSS,
// /proc/<pid>/smaps_rollup) summed over the relaying process and all its
// descendants, before opening and once every stream is established at the
// upstream; the difference over the stream count is the cost per stream.
// For the Go relay a GC runs and free memory returns to the OS right before
// each reading (runtime.GC + debug.FreeOSMemory, via /bench/stats?gc=1), so
// the figure is what live idle streams hold, not garbage from their
// handshakes; heap_kb_per_idle_stream is the same delta of the Go heap and
// stacks in use. websockify (Python) frees by reference counting and needs
// no such step. Kernel socket buffers are not in PSS and are not counted
// for any path.
func idleMemory(r *result, o options, up *upstream, p *peer, open func() (stream, error)) error {
	var st0 map[string]uint64
	var err error
	if p.stats != "" {
		if st0, err = p.goStats(true); err != nil {
			return err
		}
	}
	pss0 := procstat.PSSKB(procstat.ProcessTree(p.pid()))
	base := up.idle.Load()
	streams := make([]stream, 0, o.idle)
	defer func() {
		for _, s := range streams {
			s.close()
		}
		deadline := time.Now().Add(30 * time.Second)
		for up.idle.Load() > base && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}()
	for range o.idle {
		s, err := open()
		if err != nil {
			return err
		}
		streams = append(streams, s)
		if err := s.send(command(opIdle, 0)); err != nil {
			return err
		}
	}
	wait := max(60*time.Second, time.Duration(o.idle)*500*time.Millisecond)
	deadline := time.Now().Add(wait)
	for up.idle.Load()-base < int64(o.idle) {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d idle streams reached the upstream within %s", up.idle.Load()-base, o.idle, wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var st1 map[string]uint64
	if p.stats != "" {
		if st1, err = p.goStats(true); err != nil {
			return err
		}
		heap := float64(st1["heap_inuse"]+st1["stack_inuse"]) - float64(st0["heap_inuse"]+st0["stack_inuse"])
		r.heapKBIdle = heap / 1024 / float64(o.idle)
	}
	pss1 := procstat.PSSKB(procstat.ProcessTree(p.pid()))
	r.kbPerIdle = float64(pss1-pss0) / float64(o.idle)
	r.idle = o.idle
	return nil
}

// dialTCP is the direct path's client.
func dialTCP(addr string) (stream, error) {
	c, err := dialTimeout(addr)
	if err != nil {
		return nil, err
	}
	return &tcpStream{c: c}, nil
}
