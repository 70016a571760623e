package appproxy

import (
	"io"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
)

// bufferBody gives a route other than the proxy what it had before
// request streaming was switched on: the whole body in memory, at most
// BodyLimit bytes, or 413. refused reports that it answered the request
// itself: the route must then not run (refuse returns nil once written,
// so the error alone cannot say so).
func (p *Proxy) bufferBody(c *fiber.Ctx) (refused bool, err error) {
	req := c.Request()
	if !req.IsBodyStream() {
		return false, nil
	}
	if req.Header.ContentLength() > p.opts.BodyLimit {
		c.Context().SetConnectionClose()
		return true, refuse(c, refuseTooLarge)
	}
	body, err := io.ReadAll(io.LimitReader(req.BodyStream(), int64(p.opts.BodyLimit)+1))
	if err != nil {
		c.Context().SetConnectionClose()
		return true, refuse(c, refuseFraming)
	}
	if len(body) > p.opts.BodyLimit {
		c.Context().SetConnectionClose()
		return true, refuse(c, refuseTooLarge)
	}
	req.SetBody(body)
	return false, nil
}

// idleReader reads a client's streamed request body, pushing the client
// connection's read deadline forward before each read. fasthttp sets one
// deadline per request (ReadTimeout), which would otherwise cut every
// upload longer than it; this one ends only a stalled one.
type idleReader struct {
	r    io.Reader
	conn net.Conn
	idle time.Duration
	eof  bool
	// err is the client side's read failure (malformed chunking, a
	// stall, a hang-up), so a failed upstream call can be blamed right.
	err error
}

func (r *idleReader) Read(b []byte) (int, error) {
	if r.conn != nil {
		_ = r.conn.SetReadDeadline(time.Now().Add(r.idle))
	}
	n, err := r.r.Read(b)
	switch {
	case err == io.EOF:
		r.eof = true
	case err != nil:
		r.err = err
	}
	return n, err
}

// idleConn is an upstream connection whose every read and write must make
// progress within idle. The HTTP client's own timeouts are per request,
// which would cut event streams and large transfers.
type idleConn struct {
	net.Conn
	idle time.Duration
}

func (c *idleConn) Read(b []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	return c.Conn.Read(b)
}

func (c *idleConn) Write(b []byte) (int, error) {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.idle))
	return c.Conn.Write(b)
}

// The client sets absolute deadlines between requests; idleConn's own
// win, so they are ignored.
func (c *idleConn) SetDeadline(time.Time) error      { return nil }
func (c *idleConn) SetReadDeadline(time.Time) error  { return nil }
func (c *idleConn) SetWriteDeadline(time.Time) error { return nil }
