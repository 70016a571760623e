package appproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// The relay package's pump does not fit here: it carries binary messages
// between a WebSocket and a raw byte stream (RFB), refusing text. An app
// WebSocket is a WebSocket on both sides, whose messages — text or binary,
// any size — must cross whole and unchanged. What it shares with the relay
// is the shape: one goroutine per direction, each writing what it read
// before reading more, so a slow side stalls the other instead of growing
// a queue; and buffers taken per message from a pool, so idle sockets
// hold none.

// copyBufferSize is the size of the pooled per-message copy buffer.
const copyBufferSize = 32 << 10

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// wsWriteBuffers lends fasthttp/websocket its frame write buffers per
// message (WriteBufferPool).
var wsWriteBuffers = &sync.Pool{}

// closeWait bounds sending a close frame to a peer that may be gone.
const closeWait = time.Second

// pumpMessages copies messages from src to dst, type and payload as they
// are, streaming each through a pooled buffer (a message is never held
// whole), until src or dst fails. It then tells dst why, with src's close
// code when src closed properly.
func pumpMessages(dst, src *websocket.Conn) error {
	err := copyMessages(dst, src)
	code, text := websocket.CloseGoingAway, "the other side went away"
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		code, text = ce.Code, ce.Text
		if code == websocket.CloseNoStatusReceived || code == websocket.CloseAbnormalClosure || code == websocket.CloseTLSHandshake {
			// Codes a peer must never send on the wire.
			code, text = websocket.CloseNormalClosure, ""
		}
	}
	_ = dst.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(closeWait))
	return err
}

func copyMessages(dst, src *websocket.Conn) error {
	for {
		kind, r, err := src.NextReader()
		if err != nil {
			return err
		}
		w, err := dst.NextWriter(kind)
		if err != nil {
			return err
		}
		bp := copyBuffers.Get().(*[]byte)
		err = copyMessage(w, r, *bp)
		copyBuffers.Put(bp)
		if err != nil {
			return err
		}
	}
}

// copyMessage streams one message. It does not use io.Copy, whose
// ReadFrom path would allocate a buffer per call.
func copyMessage(w io.WriteCloser, r io.Reader, buf []byte) error {
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return w.Close()
		}
		if err != nil {
			return err
		}
	}
}

// underlying unwraps fasthttp's hijacked connection, whose Close does
// nothing while the hijack handler runs.
func underlying(c net.Conn) net.Conn {
	if u, ok := c.(interface{ UnsafeConn() net.Conn }); ok {
		if raw := u.UnsafeConn(); raw != nil {
			return raw
		}
	}
	return c
}
