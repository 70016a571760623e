package appproxy

import (
	"context"
	"net"
	"sync"

	"github.com/atrium-hq/atrium/core/internal/access"
)

// sockets tracks live app WebSockets so they end with the session, the
// user's login, and the core.
type sockets struct {
	mu   sync.Mutex
	m    map[*socket]struct{}
	done sync.WaitGroup
}

// socket is one proxied WebSocket: the browser's connection and the
// app's, which closing ends both pump directions.
type socket struct {
	sessionID        string
	grant            access.Grant
	client, upstream net.Conn
}

func (s *socket) close() {
	_ = s.client.Close()
	_ = s.upstream.Close()
}

func newSockets() *sockets { return &sockets{m: map[*socket]struct{}{}} }

func (ss *sockets) add(s *socket) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.m[s] = struct{}{}
	ss.done.Add(1)
}

func (ss *sockets) remove(s *socket) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if _, ok := ss.m[s]; ok {
		delete(ss.m, s)
		ss.done.Done()
	}
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

// shutdown closes every socket and waits for their pumps until ctx ends.
func (ss *sockets) shutdown(ctx context.Context) error {
	ss.closeWhere(func(*socket) bool { return true })
	done := make(chan struct{})
	go func() { ss.done.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
