package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/dockertest"
	"github.com/atrium-hq/atrium/test/rfb"

	"github.com/atrium-hq/atrium/plugins/workspace-vnc/vnc"
)

// The desktop image test runs the real atrium/desktop image on the local
// Docker engine and talks RFB to its Xvnc with test/rfb, the way the core's
// relay will. It builds the image with images/desktop/build.sh when it is
// missing or its build inputs changed; that takes one to two minutes the
// first time on an idle machine (six on a busy two-core one), needs root,
// and installs debootstrap when it is missing. go test's default 10-minute
// timeout is usually enough; `make test` gives 30. Start an engine with
// scripts/docker-up.sh.

const buildScript = "../../images/desktop/build.sh"

func TestDesktopImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test runs Docker containers and may build a 600 MB image")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	dockertest.Require(t, ctx)
	dockertest.BuildImage(t, ctx, buildScript)

	sb := dockertest.NewSandbox(t, ctx, "workspace-vnc")
	password := dockertest.RandomHex(t, 12)
	began := time.Now()
	// The password reaches docker run through its environment, never its
	// arguments, as it would reach the container through a runtime.
	c := sb.Run(t, ctx, []string{vnc.EnvPassword + "=" + password}, vnc.HomePath, vnc.DefaultImage,
		"--user", vnc.User,
		"--env", vnc.EnvPassword, "--env", vnc.EnvGeometry+"=1280x800", "--env", vnc.EnvDepth+"=24")
	id := c.ID
	addr := net.JoinHostPort(c.IP.String(), fmt.Sprint(vnc.Port))

	t.Run("greeting", func(t *testing.T) {
		version := waitGreeting(t, ctx, addr, id)
		t.Logf("RFB greeting %q %s after docker run began", version, time.Since(began).Round(time.Millisecond))
		if version != rfb.ProtocolVersion {
			t.Fatalf("greeting %q, want %q", version, rfb.ProtocolVersion)
		}
	})

	t.Run("desktop", func(t *testing.T) {
		c := dial(t, ctx, addr, password)
		init := c.ServerInit()
		if init.Width != 1280 || init.Height != 800 {
			t.Fatalf("ServerInit reports %dx%d, want 1280x800 (ATRIUM_GEOMETRY)", init.Width, init.Height)
		}
		if init.Format.Depth != 24 || !init.Format.TrueColour {
			t.Fatalf("ServerInit reports pixel format %+v, want true colour of depth 24", init.Format)
		}
		// The root window is black; a drawn terminal is not. Wait until an
		// update shows more than one colour. TigerVNC answers a
		// non-incremental request with the screen layout alone and sends
		// the pixels on the next request, so only the first is
		// non-incremental, as with noVNC.
		deadline := time.Now().Add(15 * time.Second)
		for i := 0; ; i++ {
			if err := c.FramebufferUpdateRequest(i > 0, 0, 0, init.Width, init.Height); err != nil {
				t.Fatal(err)
			}
			u := readUpdate(t, c)
			if colourful(u, init.Format.BytesPerPixel()) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the screen stayed one colour for 15 s: the window manager or the terminal did not start; see the container logs")
			}
		}
	})

	t.Run("typing reaches the terminal and the home is writable", func(t *testing.T) {
		c := dial(t, ctx, addr, password)
		// The terminal has the focus: Openbox starts it and focuses new
		// windows. Keys typed while its shell is still starting can be
		// lost, as they would be for a person typing that early, so type
		// the command again until it takes effect.
		file := vnc.HomePath + "/typed-over-vnc"
		deadline := time.Now().Add(15 * time.Second)
		for attempt := 1; ; attempt++ {
			for _, r := range "touch " + file {
				typeKey(t, c, uint32(r))
			}
			typeKey(t, c, 0xff0d) // Return
			if waitFile(ctx, id, file, 2*time.Second) {
				t.Logf("the command took effect at attempt %d", attempt)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("typing a command into the terminal did not create %s within 15 s", file)
			}
		}
		if owner, err := dockertest.Docker(ctx, nil, "exec", id, "stat", "--format", "%u:%g", file); err != nil || owner != vnc.User {
			t.Fatalf("the file the terminal created belongs to %q (%v), want %s", owner, err, vnc.User)
		}
		owner, err := dockertest.Docker(ctx, nil, "exec", id, "stat", "--format", "%u:%g", vnc.HomePath)
		if err != nil || owner != vnc.User {
			t.Fatalf("the fresh home volume belongs to %q (%v), want %s", owner, err, vnc.User)
		}
	})

	t.Run("resize", func(t *testing.T) {
		c := dial(t, ctx, addr, password)
		if err := c.SetDesktopSize(1024, 768); err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			if i == 20 {
				t.Fatal("no answer to SetDesktopSize in 20 updates")
			}
			if err := c.FramebufferUpdateRequest(true, 0, 0, 1024, 768); err != nil {
				t.Fatal(err)
			}
			u := readUpdate(t, c)
			answered := false
			for _, r := range u.Rects {
				if fromClient, status, ok := rfb.DesktopSizeResult(r); ok && fromClient {
					if status != 0 {
						t.Fatalf("Xvnc refused SetDesktopSize with status %d", status)
					}
					answered = true
				}
			}
			if answered {
				break
			}
		}
		if s := c.ServerInit(); s.Width != 1024 || s.Height != 768 {
			t.Fatalf("after resizing the desktop is %dx%d, want 1024x768", s.Width, s.Height)
		}
	})

	t.Run("password stays out of processes", func(t *testing.T) {
		// Arguments of every process, and the environment of the desktop's
		// own programs: the entrypoint unsets the variable before it starts
		// them. (docker exec processes get the container's configured
		// environment, which is the runtime's business.)
		script := `cat /proc/[0-9]*/cmdline; for p in $(pgrep -x Xvnc) $(pgrep -x xterm) $(pgrep -x openbox); do cat /proc/$p/environ; done`
		out, err := dockertest.Docker(ctx, nil, "exec", id, "sh", "-c", script)
		if err != nil {
			t.Fatalf("read the processes: %v", err)
		}
		if !strings.Contains(out, "Xvnc") {
			t.Fatalf("no Xvnc among the container's processes; the check would prove nothing")
		}
		if strings.Contains(out, password) {
			t.Fatal("the VNC password appears in a process's arguments or in the desktop's environment")
		}
	})

	t.Run("wrong password refused", func(t *testing.T) {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, err := rfb.Dial(dctx, addr, "not-"+password)
		if err == nil {
			_ = c.Close()
			t.Fatal("Xvnc accepted a wrong password")
		}
		if !errors.Is(err, rfb.ErrAuthFailed) {
			t.Fatalf("a wrong password failed with %v, want rfb.ErrAuthFailed", err)
		}
	})
}

// waitGreeting dials until Xvnc greets, failing fast if the container
// exits.
func waitGreeting(t *testing.T, ctx context.Context, addr, id string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
			v, rerr := rfb.ReadVersion(conn)
			_ = conn.Close()
			if rerr == nil {
				return v
			}
			err = rerr
		}
		if running, _ := dockertest.Docker(ctx, nil, "inspect", "--format", "{{ .State.Running }}", id); running != "true" {
			t.Fatalf("the container stopped before Xvnc greeted (last dial: %v)", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no RFB greeting from %s within 30 s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFile reports whether file appears in the container within d.
func waitFile(ctx context.Context, id, file string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := dockertest.Docker(ctx, nil, "exec", id, "test", "-e", file); err == nil {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// dial authenticates a new connection that closes when the test ends.
func dial(t *testing.T, ctx context.Context, addr, password string) *rfb.Client {
	t.Helper()
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := rfb.Dial(dctx, addr, password)
	if err != nil {
		t.Fatalf("RFB handshake with the right password: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func readUpdate(t *testing.T, c *rfb.Client) rfb.Update {
	t.Helper()
	_ = c.Conn().SetReadDeadline(time.Now().Add(10 * time.Second))
	u, err := c.ReadFramebufferUpdate()
	if err != nil {
		t.Fatalf("read framebuffer update: %v", err)
	}
	return u
}

func typeKey(t *testing.T, c *rfb.Client, keysym uint32) {
	t.Helper()
	if err := c.KeyEvent(keysym, true); err != nil {
		t.Fatal(err)
	}
	if err := c.KeyEvent(keysym, false); err != nil {
		t.Fatal(err)
	}
}

// colourful reports whether the Raw rectangles of u hold more than one
// pixel value.
func colourful(u rfb.Update, bpp int) bool {
	var first []byte
	for _, r := range u.Rects {
		if r.Encoding != rfb.EncodingRaw {
			continue
		}
		for i := 0; i+bpp <= len(r.Data); i += bpp {
			px := r.Data[i : i+bpp]
			if first == nil {
				first = px
			} else if !bytes.Equal(px, first) {
				return true
			}
		}
	}
	return false
}
