package rfb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// WebSocketSubprotocol is the subprotocol noVNC and Atrium's relay speak:
// RFB bytes carried in binary messages, with message boundaries that mean
// nothing.
const WebSocketSubprotocol = "binary"

// DialWebSocket opens a WebSocket to url (ws:// or wss://) offering the
// "binary" subprotocol, with header's fields (e.g. Origin, Cookie) on the
// upgrade request, and returns it as a net.Conn for Handshake. When the
// server refuses the upgrade, the error wraps websocket.ErrBadHandshake
// and resp is the server's answer, body readable, so a test can check the
// status; resp is nil when no HTTP answer arrived. The context bounds the
// dial and the upgrade only.
func DialWebSocket(ctx context.Context, url string, header http.Header) (conn net.Conn, resp *http.Response, err error) {
	d := websocket.Dialer{
		Subprotocols:     []string{WebSocketSubprotocol},
		HandshakeTimeout: 30 * time.Second,
	}
	ws, resp, err := d.DialContext(ctx, url, header)
	if err != nil {
		return nil, resp, fmt.Errorf("rfb: open WebSocket %s: %w", redactQuery(url), err)
	}
	if p := ws.Subprotocol(); p != WebSocketSubprotocol {
		_ = ws.Close()
		return nil, resp, fmt.Errorf("rfb: the server chose WebSocket subprotocol %q, not %q", p, WebSocketSubprotocol)
	}
	return NewWebSocketConn(ws), resp, nil
}

// redactQuery drops the query string, where relay tickets travel, so that
// errors and test logs never show one.
func redactQuery(url string) string {
	if base, _, ok := strings.Cut(url, "?"); ok {
		return base + "?…"
	}
	return url
}

// wsConn adapts a WebSocket carrying a byte stream in binary messages to
// net.Conn. Reads run across message boundaries; each Write is one
// message.
type wsConn struct {
	ws *websocket.Conn

	rmu sync.Mutex // one reader at a time
	cur io.Reader  // the rest of the message being read

	wmu sync.Mutex // the WebSocket allows one writer at a time
}

// NewWebSocketConn returns ws as a net.Conn. Closing it closes ws.
func NewWebSocketConn(ws *websocket.Conn) net.Conn { return &wsConn{ws: ws} }

func (c *wsConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if c.cur == nil {
			typ, r, err := c.ws.NextReader()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					// A close frame ends the byte stream, as FIN does on TCP;
					// RFB readers see io.EOF (wrapped with the reason).
					// errors.As finds the *websocket.CloseError too.
					return 0, fmt.Errorf("%w (WebSocket closed: %w)", io.EOF, ce)
				}
				return 0, err
			}
			if typ != websocket.BinaryMessage {
				return 0, fmt.Errorf("rfb: the server sent a WebSocket message of type %d; the binary subprotocol carries only binary messages", typ)
			}
			c.cur = r
		}
		n, err := c.cur.Read(p)
		if errors.Is(err, io.EOF) {
			c.cur = nil
			if n == 0 {
				continue // an empty message, or the end of one
			}
			err = nil
		}
		return n, err
	}
}

func (c *wsConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *wsConn) Close() error {
	c.wmu.Lock()
	// A polite close frame first, so the relay logs a clean end; the
	// connection closes whether or not it is answered.
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	return c.ws.Close()
}

func (c *wsConn) LocalAddr() net.Addr  { return c.ws.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr { return c.ws.RemoteAddr() }

func (c *wsConn) SetDeadline(t time.Time) error {
	if err := c.ws.SetReadDeadline(t); err != nil {
		return err
	}
	return c.ws.SetWriteDeadline(t)
}

func (c *wsConn) SetReadDeadline(t time.Time) error  { return c.ws.SetReadDeadline(t) }
func (c *wsConn) SetWriteDeadline(t time.Time) error { return c.ws.SetWriteDeadline(t) }
