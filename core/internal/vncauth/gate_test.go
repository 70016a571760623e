package vncauth

import (
	"context"
	"errors"
	"io"
	"net"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/dockertest"
)

func TestGateBoundsEachKey(t *testing.T) {
	var g Gate
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := "a"
			if i%2 == 1 {
				key = "b"
			}
			err := g.Do(context.Background(), key, func() error {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(5 * time.Millisecond)
				running.Add(-1)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// Two keys, each at most MaxHandshakes at once.
	if p := peak.Load(); p > 2*MaxHandshakes {
		t.Fatalf("%d handshakes ran at once over two keys, want at most %d", p, 2*MaxHandshakes)
	}
	if len(g.slots) != 0 {
		t.Fatalf("the gate keeps %d idle keys, want none", len(g.slots))
	}
}

func TestGateGivesUpWithTheContext(t *testing.T) {
	var g Gate
	hold := make(chan struct{})
	for range MaxHandshakes {
		go g.Do(context.Background(), "k", func() error { <-hold; return nil })
	}
	defer close(hold)
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ran := false
	err := g.Do(ctx, "k", func() error { ran = true; return nil })
	if !errors.Is(err, ErrBusy) || !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Fatalf("Do with every slot taken: ran %v, error %v; want DeadlineExceeded without running", ran, err)
	}
}

// TestGateKeepsTigerVNCFromBlacklistingTheCore runs the real atrium/desktop
// image and opens many handshakes at once from one address, as the relay
// does when the tabs of a desktop reconnect together. TigerVNC turns an
// address away once five of its connections are unauthenticated (the
// readiness probe's greeting-only connection, made first here, counts);
// through the Gate every handshake must succeed.
func TestGateKeepsTigerVNCFromBlacklistingTheCore(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test runs a desktop container")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dockertest.Require(t, ctx)
	const image = "atrium/desktop:1"
	if err := exec.CommandContext(ctx, "docker", "image", "inspect", image).Run(); err != nil {
		t.Fatalf("no %s image: build it with images/desktop/build.sh", image)
	}
	sb := dockertest.NewSandbox(t, ctx, "vncauth")
	password := dockertest.RandomHex(t, 4)
	c := sb.Run(t, ctx, []string{"ATRIUM_VNC_PASSWORD=" + password}, "/home/atrium", image,
		"--user", "1000:1000", "--env", "ATRIUM_VNC_PASSWORD")
	addr := net.JoinHostPort(c.IP.String(), "5900")
	probeGreeting(t, ctx, addr)

	const tabs = 24
	var g Gate
	var wg sync.WaitGroup
	errs := make(chan error, tabs)
	for range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- g.Do(ctx, "session", func() error {
				var d net.Dialer
				conn, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					return err
				}
				defer conn.Close()
				return Authenticate(conn, password, 10*time.Second)
			})
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			t.Log(err)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d handshakes at once through the gate failed; TigerVNC blacklisted the address", failed, tabs)
	}
}

// probeGreeting waits for Xvnc's greeting and closes, as the core's
// readiness probe does.
func probeGreeting(t *testing.T, ctx context.Context, addr string) {
	t.Helper()
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
			_, err = io.ReadFull(conn, make([]byte, 12))
			_ = conn.Close()
			if err == nil {
				return
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("no RFB greeting from %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
