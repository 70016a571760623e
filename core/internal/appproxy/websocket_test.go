package appproxy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/atrium-hq/atrium/core/internal/wsclose"
)

// dialWS opens a WebSocket through the front with the given Origin.
func (f *front) dialWS(t *testing.T, url, origin, cookie string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{
		NetDialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var nd net.Dialer
			return nd.DialContext(ctx, "tcp", f.addr)
		},
		HandshakeTimeout: 5 * time.Second,
		Subprotocols:     []string{"other", "jupyter"},
	}
	h := http.Header{"Origin": {origin}, "Cookie": {cookie}}
	return d.Dial(url, h)
}

// dialWSHeader opens a WebSocket through the front with header h.
func (f *front) dialWSHeader(t *testing.T, url string, h http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{
		NetDialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var nd net.Dialer
			return nd.DialContext(ctx, "tcp", f.addr)
		},
		HandshakeTimeout: 5 * time.Second,
	}
	return d.Dial(url, h)
}

// TestWebSocketEcho: text and binary messages cross unchanged both ways,
// with the app's chosen subprotocol, and the app never sees Atrium's
// cookie; the session's close or the user's logout ends the socket.
func TestWebSocketEcho(t *testing.T) {
	w := newWorld(t)
	f := w.front(appDomain)
	cookie := w.openApp(f, w.sessA, w.userA, w.loginA)
	origin := f.appURL(w.sessA)
	wsURL := strings.Replace(origin, "http://", "ws://", 1) + "/ws?x=%2F"
	c, resp, err := f.dialWS(t, wsURL, origin, PlainAppCookie+"="+cookie+"; theme=dark")
	if err != nil {
		t.Fatalf("dial: %v %v", err, resp)
	}
	defer c.Close()
	if c.Subprotocol() != "other" {
		t.Errorf("subprotocol %q, want the app's choice", c.Subprotocol())
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	big := strings.Repeat("é", 100<<10)
	for _, m := range []struct {
		kind int
		data string
	}{{websocket.TextMessage, "hello"}, {websocket.BinaryMessage, "\x00\x01\x02"}, {websocket.TextMessage, big}} {
		must(t, c.WriteMessage(m.kind, []byte(m.data)))
		kind, got, err := c.ReadMessage()
		must(t, err)
		if kind != m.kind || string(got) != m.data {
			t.Fatalf("echo: kind %d len %d, want kind %d len %d", kind, len(got), m.kind, len(m.data))
		}
	}
	up := w.up.last(t)
	if up.RequestURI != "/ws?x=%2F" || up.Header.Get("Cookie") != "theme=dark" || up.Header.Get("Origin") != origin {
		t.Errorf("the app's handshake: %q cookie %q origin %q", up.RequestURI, up.Header.Get("Cookie"), up.Header.Get("Origin"))
	}
	if n := f.p.CloseSession(w.sessA.ID.String()); n != 1 {
		t.Fatalf("CloseSession closed %d sockets", n)
	}
	if _, _, err := c.ReadMessage(); err == nil {
		t.Fatal("the socket outlived its session")
	}
}

// TestWebSocketOrigin: only the app's own origin may open its WebSocket —
// not the core's, not another app's, not none — and nothing is dialed for
// a refused one.
func TestWebSocketOrigin(t *testing.T) {
	w := newWorld(t)
	f := w.front(appDomain)
	cookie := w.openApp(f, w.sessA, w.userA, w.loginA)
	wsURL := strings.Replace(f.appURL(w.sessA), "http://", "ws://", 1) + "/ws"
	dials := w.tun.count(w.sessA.ID)
	for _, origin := range []string{f.public, f.appURL(w.sessB), "http://evil.test", "null", ""} {
		_, resp, err := f.dialWS(t, wsURL, origin, PlainAppCookie+"="+cookie)
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %q: %v %v", origin, err, resp)
		}
	}
	if n := w.tun.count(w.sessA.ID); n != dials {
		t.Errorf("refused WebSockets dialed the session %d times", n-dials)
	}
	// And without the app cookie, the right origin is not enough.
	if _, resp, err := f.dialWS(t, wsURL, f.appURL(w.sessA), ""); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no cookie: %v %v", err, resp)
	}
}

// TestWebSocketShutdownSaysRestarting: when the core drains, the browser's
// app WebSocket gets close 1001 with the reason the web UI reconnects on,
// and Shutdown returns once the socket has ended.
func TestWebSocketShutdownSaysRestarting(t *testing.T) {
	w := newWorld(t)
	f := w.front(appDomain)
	cookie := w.openApp(f, w.sessA, w.userA, w.loginA)
	origin := f.appURL(w.sessA)
	c, resp, err := f.dialWS(t, strings.Replace(origin, "http://", "ws://", 1)+"/ws", origin, PlainAppCookie+"="+cookie)
	if err != nil {
		t.Fatalf("dial: %v %v", err, resp)
	}
	defer c.Close()
	must(t, c.WriteMessage(websocket.TextMessage, []byte("hello")))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- f.p.Shutdown(ctx) }()
	_, _, err = c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway || ce.Text != wsclose.CoreRestarting {
		t.Fatalf("the app socket ended with %v, want close 1001 %q", err, wsclose.CoreRestarting)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
