package relay

import (
	"encoding/binary"
	"net"
	"time"
)

// frameHeaderMax is the longest header a server frame has: two bytes, and
// an eight-byte length (RFC 6455 §5.2; server frames are not masked).
const frameHeaderMax = 10

// vectored reports whether c writes several buffers in one writev(2):
// net.Buffers does so for TCP and Unix sockets and falls back to one write
// per buffer otherwise.
func vectored(c net.Conn) bool {
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// binaryFrameHeader writes the header of a final, unmasked binary frame
// carrying n bytes into h and returns its length.
func binaryFrameHeader(h *[frameHeaderMax]byte, n int) int {
	h[0] = 0x80 | 2 // FIN, opcode binary
	switch {
	case n <= 125:
		h[1] = byte(n)
		return 2
	case n <= 0xffff:
		h[1] = 126
		binary.BigEndian.PutUint16(h[2:], uint16(n))
		return 4
	default:
		h[1] = 127
		binary.BigEndian.PutUint64(h[2:], uint64(n))
		return 10
	}
}

// writeBinary sends p to the browser as one binary frame, header and
// payload in a single writev straight from the pump's buffer. The
// library's WriteMessage first copies the payload into its own write
// buffer: a 64 KiB memmove per message on the busiest path. A writev holds
// the socket's write lock for its whole length, as the library's own
// single writes do, so the control frames it sends from other goroutines
// (pings, pongs, close) never land inside a data frame.
func (r *Relay) writeBinary(p []byte, deadline time.Time) error {
	n := binaryFrameHeader(&r.hdr, len(p))
	r.iov = [2][]byte{r.hdr[:n], p}
	r.vec = r.iov[:]
	if err := r.raw.SetWriteDeadline(deadline); err != nil {
		return err
	}
	_, err := r.vec.WriteTo(r.raw)
	return err
}
