package relay_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/wsclose"
)

// readBytes reads binary messages from ws until n bytes have arrived.
func readBytes(t *testing.T, ws *websocket.Conn, n int) []byte {
	t.Helper()
	out := make([]byte, 0, n)
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(out) < n {
		kind, msg, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("read from the relay after %d of %d bytes: %v", len(out), n, err)
		}
		if kind != websocket.BinaryMessage {
			t.Fatalf("got message type %d, want binary", kind)
		}
		out = append(out, msg...)
	}
	return out
}

func TestBytesFlowBothWaysIntact(t *testing.T) {
	e := newEnv(t, echo, relay.Options{})
	ws := e.open(t, "u1", "s1")

	var sent []byte
	// A large message: bigger than the copy buffer, below the read limit.
	big := make([]byte, 700<<10)
	_, _ = rand.Read(big)
	if err := ws.WriteMessage(websocket.BinaryMessage, big); err != nil {
		t.Fatalf("write a large message: %v", err)
	}
	sent = append(sent, big...)
	if got := readBytes(t, ws, len(big)); !bytes.Equal(got, big) {
		t.Fatalf("the large message came back changed")
	}
	// Many small messages, as noVNC sends input events.
	var small []byte
	for i := range 5000 {
		m := make([]byte, 1+i%97)
		_, _ = rand.Read(m)
		if err := ws.WriteMessage(websocket.BinaryMessage, m); err != nil {
			t.Fatalf("write small message %d: %v", i, err)
		}
		small = append(small, m...)
	}
	sent = append(sent, small...)
	if got := readBytes(t, ws, len(small)); !bytes.Equal(got, small) {
		t.Fatalf("the small messages came back changed or reordered")
	}

	// A pump counts bytes once its write has returned, and the echo can
	// answer (and the other pump forward the answer) before the up pump
	// gets to count; so wait for the counters rather than read them once.
	var st []relay.Stats
	waitFor(t, "both counters reach the bytes sent", 5*time.Second, func() bool {
		st = e.registry.SessionStats("s1")
		return len(st) == 1 && st[0].BytesToUpstream == uint64(len(sent)) && st[0].BytesToClient == uint64(len(sent))
	})
	if st[0].UserID != "u1" || time.Since(st[0].LastActivity) > 10*time.Second {
		t.Fatalf("stats: user %q, last activity %s ago", st[0].UserID, time.Since(st[0].LastActivity))
	}
}

func TestSessionEndSendsCloseFrame(t *testing.T) {
	greeting := []byte("RFB 003.008\n")
	e := newEnv(t, func(c net.Conn) {
		_, _ = c.Write(greeting)
		_ = c.Close()
	}, relay.Options{})
	ws := e.open(t, "u1", "s1")
	if got := readBytes(t, ws, len(greeting)); !bytes.Equal(got, greeting) {
		t.Fatalf("greeting: got %q", got)
	}
	_, _, err := ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("after the session closed, the browser got %v, want a 1000 close frame", err)
	}
	waitFor(t, "the registry forgets the relay", 5*time.Second, func() bool { return e.registry.Len() == 0 })
}

func TestBrowserCloseClosesSession(t *testing.T) {
	e := newEnv(t, nil, relay.Options{})
	ws := e.open(t, "u1", "s1")
	up := e.up.next(t)
	defer up.Close()
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")
	if err := ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err != nil {
		t.Fatalf("send close: %v", err)
	}
	readEOF(t, up, 5*time.Second)
	_, _, err := ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("the relay answered the close with %v, want its own close frame", err)
	}
}

func TestTextMessageEndsStream(t *testing.T) {
	e := newEnv(t, nil, relay.Options{})
	ws := e.open(t, "u1", "s1")
	up := e.up.next(t)
	defer up.Close()
	_ = ws.WriteMessage(websocket.TextMessage, []byte("hello"))
	_, _, err := ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseUnsupportedData) {
		t.Fatalf("after a text message the browser got %v, want close 1003", err)
	}
	readEOF(t, up, 5*time.Second)
}

func TestReadLimit(t *testing.T) {
	e := newEnv(t, nil, relay.Options{ReadLimit: 1024})
	ws := e.open(t, "u1", "s1")
	up := e.up.next(t)
	defer up.Close()
	_ = ws.WriteMessage(websocket.BinaryMessage, make([]byte, 4096))
	_, _, err := ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("after an oversized message the browser got %v, want close 1009", err)
	}
	readEOF(t, up, 5*time.Second)
}

func TestDeadBrowserDetectedByPingDeadline(t *testing.T) {
	e := newEnv(t, echo, relay.Options{PingInterval: 50 * time.Millisecond, PongWait: 300 * time.Millisecond})
	alive := e.open(t, "u1", "s1")
	dead := e.open(t, "u2", "s2")
	upAlive, upDead := e.up.next(t), e.up.next(t)
	_ = upAlive
	// The dead browser never reads, so it never answers a ping; the live
	// one reads, and its library answers pings.
	done := make(chan error, 1)
	go func() {
		for {
			if _, _, err := alive.ReadMessage(); err != nil {
				done <- err
				return
			}
		}
	}()
	start := time.Now()
	readEOF(t, upDead, 5*time.Second)
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Fatalf("the silent browser was cut after %s, before PongWait", took)
	}
	select {
	case err := <-done:
		t.Fatalf("the live browser lost its relay too: %v", err)
	default:
	}
	if n := len(e.registry.SessionStats("s1")); n != 1 {
		t.Fatalf("the live browser's relay is gone (%d relays for s1)", n)
	}
	_ = dead
}

func TestRegistryClosesBySessionUserAndAll(t *testing.T) {
	e := newEnv(t, echo, relay.Options{})
	a1 := e.open(t, "u1", "s1")
	a2 := e.open(t, "u2", "s1")
	b := e.open(t, "u2", "s2")
	c := e.open(t, "u3", "s2")
	ups := []net.Conn{e.up.next(t), e.up.next(t), e.up.next(t), e.up.next(t)}
	_ = ups
	waitFor(t, "four relays registered", 5*time.Second, func() bool { return e.registry.Len() == 4 })

	expectClose := func(ws *websocket.Conn, code int, text string) {
		t.Helper()
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			_, _, err := ws.ReadMessage()
			if err == nil {
				continue
			}
			ce, ok := err.(*websocket.CloseError)
			if !ok || ce.Code != code || ce.Text != text {
				t.Fatalf("got %v, want close %d %q", err, code, text)
			}
			return
		}
	}

	if n := e.registry.CloseSession("s1"); n != 2 {
		t.Fatalf("CloseSession ended %d relays, want 2", n)
	}
	expectClose(a1, websocket.CloseNormalClosure, "session stopped")
	expectClose(a2, websocket.CloseNormalClosure, "session stopped")
	waitFor(t, "s1's relays return", 5*time.Second, func() bool { return e.registry.Len() == 2 })

	if n := e.registry.CloseUser("u2"); n != 1 {
		t.Fatalf("CloseUser ended %d relays, want 1", n)
	}
	expectClose(b, websocket.CloseNormalClosure, "logged out")
	// b's relay unregisters when its Run returns, a moment after the close
	// frame; CloseAll below must find only c.
	waitFor(t, "u2's relay returns", 5*time.Second, func() bool { return e.registry.Len() == 1 })

	// c is untouched and still relays.
	if err := c.WriteMessage(websocket.BinaryMessage, []byte("ping")); err != nil {
		t.Fatalf("write on the surviving relay: %v", err)
	}
	if got := readBytes(t, c, 4); string(got) != "ping" {
		t.Fatalf("surviving relay echoed %q", got)
	}

	if n := e.registry.CloseAll(); n != 1 {
		t.Fatalf("CloseAll ended %d relays, want 1", n)
	}
	expectClose(c, websocket.CloseGoingAway, wsclose.CoreRestarting)
	waitFor(t, "every relay returns", 5*time.Second, func() bool { return e.registry.Len() == 0 })
}

func TestCloseUnblocksStalledBrowser(t *testing.T) {
	// The session floods; the browser never reads, so the relay blocks
	// writing to it. Close must still end both goroutines promptly.
	e := newEnv(t, func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 64<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}, relay.Options{CloseGrace: 200 * time.Millisecond})
	e.open(t, "u1", "s1")
	up := e.up.next(t)
	waitFor(t, "the relay stalls on the browser", 5*time.Second, func() bool {
		st := e.registry.SessionStats("s1")
		return len(st) == 1 && st[0].BytesToClient > 1<<20
	})
	start := time.Now()
	e.registry.CloseSession("s1")
	waitFor(t, "the stalled relay returns", 3*time.Second, func() bool { return e.registry.Len() == 0 })
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("closing a stalled relay took %s", took)
	}
	_, err := io.Copy(io.Discard, up)
	_ = err
}
