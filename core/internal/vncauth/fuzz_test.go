package vncauth

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// scriptedConn is a fake net.Conn (the fuzzer needs thousands of
// handshakes a second, with no goroutine per input): reads come from the
// fuzzed server bytes, writes are discarded.
type scriptedConn struct {
	net.Conn
	r io.Reader
}

func (c *scriptedConn) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c *scriptedConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *scriptedConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptedConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzAuthenticate: whatever a session's VNC server sends, the core's side
// of the handshake returns (no panic, no huge allocation), and succeeds
// only after a SecurityResult of 0.
func FuzzAuthenticate(f *testing.F) {
	f.Add([]byte("RFB 003.008\n\x01\x02" + string(make([]byte, 16)) + "\x00\x00\x00\x00"))
	f.Add([]byte("RFB 003.008\n\x00\x00\x00\x00\x05nope!"))
	f.Add([]byte("RFB 003.008\n\x01\x02" + string(make([]byte, 16)) + "\x00\x00\x00\x01\xff\xff\xff\xffx"))
	f.Add([]byte("RFB 003.003\n"))
	f.Fuzz(func(t *testing.T, server []byte) {
		err := Authenticate(&scriptedConn{r: bytes.NewReader(server)}, "secret", time.Second)
		if err == nil && !bytes.HasPrefix(server, []byte("RFB 003.")) {
			t.Fatalf("accepted a server that never said RFB 3.x: %q", server)
		}
	})
}

// FuzzGreet: whatever a browser answers to the core's greeting, Greet
// returns without panicking.
func FuzzGreet(f *testing.F) {
	f.Add([]byte("RFB 003.008\n\x01"))
	f.Add([]byte("RFB 003.008\n\x02"))
	f.Add([]byte("xx"))
	f.Fuzz(func(t *testing.T, browser []byte) {
		rw := struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(browser), io.Discard}
		_ = Greet(rw)
	})
}
