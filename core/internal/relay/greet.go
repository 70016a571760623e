package relay

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/fasthttp/websocket"
)

// messageStream reads a WebSocket's binary messages as one byte stream and
// writes each Write as one binary message. It serves a Greet before the
// pump takes over; it is not used on the hot path.
type messageStream struct {
	ws *websocket.Conn
	r  io.Reader // the message being read, nil between messages
}

func (m *messageStream) Read(p []byte) (int, error) {
	for {
		if m.r == nil {
			typ, r, err := m.ws.NextReader()
			if err != nil {
				return 0, err
			}
			if typ != websocket.BinaryMessage {
				return 0, errors.New("relay: text message during the greeting")
			}
			m.r = r
		}
		n, err := m.r.Read(p)
		if errors.Is(err, io.EOF) {
			m.r = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func (m *messageStream) Write(p []byte) (int, error) {
	if err := m.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// greet runs the handler's Greet on the browser's side, then forwards what
// is left of a message the browser sent past the greeting, so no byte is
// lost when the pump starts.
func (h *handler) greet(ws *websocket.Conn, up net.Conn) error {
	m := &messageStream{ws: ws}
	if err := h.Greet(m); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if m.r != nil {
		if _, err := io.Copy(up, m.r); err != nil {
			return fmt.Errorf("greeting: forward the rest of a message: %w", err)
		}
	}
	return nil
}
