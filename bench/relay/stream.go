package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// stream is one client connection through a path: raw TCP, or a WebSocket
// whose binary messages are read as one byte stream.
type stream interface {
	io.Reader
	// send writes p as one write (TCP) or one binary message (WebSocket),
	// which the WebSocket client masks, as browsers must.
	send(p []byte) error
	close()
}

// tcpStream is the direct path.
type tcpStream struct{ c net.Conn }

func (s *tcpStream) Read(p []byte) (int, error) { return s.c.Read(p) }
func (s *tcpStream) send(p []byte) error        { _, err := s.c.Write(p); return err }
func (s *tcpStream) close()                     { _ = s.c.Close() }

// wsStream reads across message boundaries without allocating a buffer per
// message, so the client's own overhead stays out of the figures as far as
// it can.
type wsStream struct {
	ws  *websocket.Conn
	cur io.Reader
}

func (s *wsStream) Read(p []byte) (int, error) {
	for {
		if s.cur == nil {
			kind, r, err := s.ws.NextReader()
			if err != nil {
				return 0, err
			}
			if kind != websocket.BinaryMessage {
				return 0, fmt.Errorf("got WebSocket message type %d, want binary", kind)
			}
			s.cur = r
		}
		n, err := s.cur.Read(p)
		if err == io.EOF {
			s.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (s *wsStream) send(p []byte) error { return s.ws.WriteMessage(websocket.BinaryMessage, p) }

func (s *wsStream) close() {
	_ = s.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = s.ws.Close()
}

// clientWriteBuffer is the client's WebSocket write buffer. A browser sends
// every message as one masked frame whatever its size; the library's client
// splits a message into frames of this size, so it is as large as the
// largest message the benchmark sends (-up-msg is capped to it).
const clientWriteBuffer = 64 << 10

// clientWritePool lends the write buffer only while a message is written,
// so the idle streams do not each hold one in this process.
var clientWritePool sync.Pool

// dialWS opens a browser-like WebSocket: Origin set, "binary" offered, and
// every message sent as one masked frame.
func dialWS(url, origin string) (*wsStream, error) {
	d := websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		Subprotocols:     []string{"binary"},
		ReadBufferSize:   64 << 10,
		WriteBufferSize:  clientWriteBuffer,
		WriteBufferPool:  &clientWritePool,
	}
	h := http.Header{}
	h.Set("Origin", origin)
	ws, resp, err := d.Dial(url, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return nil, fmt.Errorf("open WebSocket %s: %w (HTTP %d)", url, err, status)
	}
	ws.SetReadLimit(0)
	return &wsStream{ws: ws}, nil
}
