package kube_test

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/plugins/runtime-k8s/kube"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// TestEventsSurviveABrokenWatch: the plugin reaches the API server through
// a loopback TCP relay; the test cuts every connection (the watch with
// them) and a session started afterwards (by a plugin on a direct
// connection) still arrives as an event, so the informer watched again on
// its own.
func TestEventsSurviveABrokenWatch(t *testing.T) {
	w := newWorld(t, nil)
	kc, err := os.ReadFile(w.cl.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	server := regexp.MustCompile(`server: https://(\S+)`)
	m := server.FindSubmatch(kc)
	if m == nil {
		t.Fatalf("no server in %s", w.cl.Kubeconfig)
	}
	relay := newCuttableRelay(t, string(m[1]))
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, server.ReplaceAll(kc, []byte("server: https://"+relay.addr)), 0o600); err != nil {
		t.Fatal(err)
	}
	// The watching plugin goes through the relay; the session is started
	// by one that does not, so the cut cannot fail the start itself.
	starter := w.rt
	w.cfg["kubeconfig"] = path
	w.rt = kube.New()
	configure(t, w)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan runtime.Event, 64)
	done := make(chan error, 1)
	go func() { done <- w.rt.WatchEvents(ctx, func(e runtime.Event) error { events <- e; return nil }) }()
	time.Sleep(time.Second)
	before := relay.cut()
	if before == 0 {
		t.Fatal("the plugin had no connection through the relay to cut")
	}

	id := randomID()
	if _, err := starter.StartSession(ctxT(t), runtime.StartRequest{Session: session(id), Spec: echoSpec("x")}); err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	deadline := time.After(stepTimeout)
	for {
		select {
		case e := <-events:
			if e.SessionID == id && e.Status.State == runtime.StateRunning {
				return
			}
		case err := <-done:
			t.Fatalf("WatchEvents ended when its watch broke: %v", err)
		case <-deadline:
			t.Fatal("no running event after the watch was cut")
		}
	}
}

// cuttableRelay forwards loopback TCP to target and can close every
// connection it carries at once.
type cuttableRelay struct {
	addr string
	mu   sync.Mutex
	live []net.Conn
}

func newCuttableRelay(t *testing.T, target string) *cuttableRelay {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &cuttableRelay{addr: ln.Addr().String()}
	t.Cleanup(func() { ln.Close(); r.cut() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			r.mu.Lock()
			r.live = append(r.live, in, out)
			r.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	return r
}

// cut closes every connection and says how many client connections it had.
func (r *cuttableRelay) cut() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.live {
		c.Close()
	}
	n := len(r.live) / 2
	r.live = nil
	return n
}
