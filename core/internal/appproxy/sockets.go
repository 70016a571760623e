package appproxy

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/atrium-hq/atrium/core/internal/access"
	"github.com/atrium-hq/atrium/core/internal/wsclose"
)

// sockets tracks live app WebSockets so they end with the session, the
// user's login, and the core.
type sockets struct {
	mu sync.Mutex
	m  map[*socket]struct{}
	// closed is set at shutdown: later sockets are refused.
	closed bool
	done   sync.WaitGroup
}

// socket is one proxied WebSocket: the browser's connection and the
// app's, which closing ends both pump directions.
type socket struct {
	sessionID string
	grant     access.Grant
	// ws is the browser's WebSocket, told why when the core stops.
	ws               *websocket.Conn
	client, upstream net.Conn
}

func (s *socket) close() {
	_ = s.client.Close()
	_ = s.upstream.Close()
}

func newSockets() *sockets { return &sockets{m: map[*socket]struct{}{}} }

// add tracks s, or returns false once shutdown has begun.
func (ss *sockets) add(s *socket) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return false
	}
	ss.m[s] = struct{}{}
	ss.done.Add(1)
	return true
}

func (ss *sockets) remove(s *socket) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if _, ok := ss.m[s]; ok {
		delete(ss.m, s)
		ss.done.Done()
	}
}

func (ss *sockets) count() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.m)
}

func (ss *sockets) closeWhere(match func(*socket) bool) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	n := 0
	for s := range ss.m {
		if match(s) {
			s.close()
			n++
		}
	}
	return n
}

func (ss *sockets) closeSession(id string) int {
	return ss.closeWhere(func(s *socket) bool { return s.sessionID == id })
}

func (ss *sockets) grants() []access.Grant {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	seen := map[access.Grant]struct{}{}
	var out []access.Grant
	for s := range ss.m {
		if _, ok := seen[s.grant]; !ok {
			seen[s.grant] = struct{}{}
			out = append(out, s.grant)
		}
	}
	return out
}

// restartClose is the close frame app WebSockets get when the core drains.
var restartClose = websocket.FormatCloseMessage(websocket.CloseGoingAway, wsclose.CoreRestarting)

// shutdown refuses new sockets, tells every browser the core is
// restarting (1001), and gives it closeWait to answer, which ends the
// socket's pumps and passes the close on to the app. It then closes what
// is left and waits for the pumps until ctx ends.
func (ss *sockets) shutdown(ctx context.Context) error {
	ss.mu.Lock()
	ss.closed = true
	all := make([]*socket, 0, len(ss.m))
	for s := range ss.m {
		all = append(all, s)
	}
	ss.mu.Unlock()
	var sent sync.WaitGroup
	for _, s := range all {
		// WriteControl may run beside the pump's writes.
		sent.Go(func() { _ = s.ws.WriteControl(websocket.CloseMessage, restartClose, time.Now().Add(closeWait)) })
	}
	sent.Wait()
	done := make(chan struct{})
	go func() { ss.done.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(closeWait):
	case <-ctx.Done():
	}
	ss.closeWhere(func(*socket) bool { return true })
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
