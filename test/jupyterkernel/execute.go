// Package jupyterkernel speaks just enough of the Jupyter messaging
// protocol, over a kernel's channels WebSocket in the server's JSON
// format, for tests to run code and read its result: the image test talks
// to Jupyter directly, the end-to-end tests through the core's app proxy.
package jupyterkernel

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// message is a Jupyter protocol message as the server's JSON WebSocket
// carries it.
type message struct {
	Header       header          `json:"header"`
	ParentHeader header          `json:"parent_header"`
	Metadata     struct{}        `json:"metadata"`
	Content      json.RawMessage `json:"content"`
	Channel      string          `json:"channel"`
}

type header struct {
	MsgID    string `json:"msg_id,omitempty"`
	MsgType  string `json:"msg_type,omitempty"`
	Session  string `json:"session,omitempty"`
	Username string `json:"username,omitempty"`
	Version  string `json:"version,omitempty"`
}

var msgCount atomic.Int64

// Execute sends code to the kernel on ws as an execute_request and returns
// the text/plain of its execute_result. A kernel error, a closed socket,
// or no result within `within` (the first request also waits for the
// kernel to start) is an error.
func Execute(ws *websocket.Conn, code string, within time.Duration) (string, error) {
	id := fmt.Sprintf("atrium-test-%d", msgCount.Add(1))
	content, _ := json.Marshal(map[string]any{
		"code": code, "silent": false, "store_history": false,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true,
	})
	req := message{
		Header:  header{MsgID: id, MsgType: "execute_request", Session: "atrium-test", Username: "atrium", Version: "5.3"},
		Content: content,
		Channel: "shell",
	}
	if err := ws.WriteJSON(req); err != nil {
		return "", fmt.Errorf("send execute_request: %w", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(within))
	defer ws.SetReadDeadline(time.Time{})
	for {
		var m message
		if err := ws.ReadJSON(&m); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return "", fmt.Errorf("no execute_result for %q within %s", code, within)
			}
			return "", fmt.Errorf("read from the kernel: %w", err)
		}
		if m.ParentHeader.MsgID != id {
			continue
		}
		switch m.Header.MsgType {
		case "execute_result":
			var r struct {
				Data map[string]string `json:"data"`
			}
			if err := json.Unmarshal(m.Content, &r); err != nil {
				return "", fmt.Errorf("execute_result %s: %w", m.Content, err)
			}
			return r.Data["text/plain"], nil
		case "error":
			return "", fmt.Errorf("the kernel failed to run %q: %s", code, m.Content)
		}
	}
}
