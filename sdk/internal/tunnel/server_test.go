package tunnel_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/internal/tunnel"
	"github.com/atrium-hq/atrium/sdk/plugintest"
)

func newServer(t *testing.T) *tunnel.Server {
	t.Helper()
	s := tunnel.NewServer(hclog.NewNullLogger())
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// replier is a TCP server that reads a request until EOF, answers
// "got:<request>" and closes: it works only if half-closes propagate.
func replier(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, _ := io.ReadAll(c)
				_, _ = c.Write(append([]byte("got:"), req...))
			}()
		}
	}()
	return ln.Addr().String()
}

func dialTCP(addr string) tunnel.DialFunc {
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
}

func TestSocketTunnelCarriesBytesAndHalfCloses(t *testing.T) {
	s := newServer(t)
	dir := plugintest.TunnelDir(t)
	addr := replier(t)
	path, token, err := s.Open(dir, dialTCP(addr))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat socket: %v", err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %s has mode %v, want a socket with 0600", path, fi.Mode())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := connect.DialSocket(ctx, path, token)
	if err != nil {
		t.Fatalf("DialSocket: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte("hello")); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := conn.(*net.UnixConn).CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	if string(got) != "got:hello" {
		t.Fatalf("answer %q, want %q", got, "got:hello")
	}

	path2, _, err := s.Open(dir, dialTCP(addr))
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	if path2 != path {
		t.Errorf("second tunnel listens on %s, want the process's one socket %s", path2, path)
	}
}

func TestSocketTunnelRefusals(t *testing.T) {
	s := newServer(t)
	dir := plugintest.TunnelDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	path, token, err := s.Open(dir, func(context.Context) (net.Conn, error) {
		return nil, errors.New("session s1: port 80 refused the connection")
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	_, err = connect.DialSocket(ctx, path, token)
	if !errors.Is(err, connect.ErrTunnelRefused) || !strings.Contains(err.Error(), "port 80 refused") {
		t.Fatalf("DialSocket when the dial fails: %v; want ErrTunnelRefused with the plugin's message", err)
	}

	wrong := make([]byte, tunnel.TokenSize)
	_, err = connect.DialSocket(ctx, path, wrong)
	if !errors.Is(err, connect.ErrTunnelRefused) {
		t.Fatalf("DialSocket with a wrong token: %v; want ErrTunnelRefused", err)
	}
	if _, err := connect.DialSocket(ctx, path, wrong[:5]); err == nil {
		t.Fatal("DialSocket accepted a short token")
	}
}

func TestSocketTunnelNeedsDirectory(t *testing.T) {
	s := newServer(t)
	_, _, err := s.Open("", dialTCP("127.0.0.1:1"))
	if err == nil || !strings.Contains(err.Error(), "TunnelDir") {
		t.Fatalf("Open without a directory: %v; want an error naming TunnelDir", err)
	}
}

func TestSocketTunnelSilentClientTimesOut(t *testing.T) {
	s := newServer(t)
	path, _, err := s.Open(plugintest.TunnelDir(t), dialTCP(replier(t)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	start := time.Now()
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("a client that sends no token read %v, want the plugin to hang up (EOF)", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the plugin hung up after %s, want about 5s", d)
	}
}

func TestCloseEndsTunnelsAndRemovesSocket(t *testing.T) {
	s := tunnel.NewServer(hclog.NewNullLogger())
	path, token, err := s.Open(plugintest.TunnelDir(t), dialTCP(replier(t)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := connect.DialSocket(ctx, path, token)
	if err != nil {
		t.Fatalf("DialSocket: %v", err)
	}
	defer conn.Close()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket %s still exists after Close (stat: %v)", path, err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("an open tunnel read %v after Close, want EOF", err)
	}
	if _, _, err := s.Open(plugintest.TunnelDir(t), dialTCP("127.0.0.1:1")); err == nil {
		t.Error("Open succeeded after Close")
	}
}
