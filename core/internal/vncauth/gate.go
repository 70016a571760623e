package vncauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// MaxHandshakes is how many connections the core keeps in the
// unauthenticated part of the handshake with one VNC server at once.
//
// TigerVNC blacklists an address for BlacklistTimeout (10 s, doubling
// each time) once BlacklistThreshold (5) of its connections are open
// without having authenticated, or closed before they did (the readiness
// probe's, which reads the greeting only, counts once); a successful
// authentication clears the count. Every upstream connection comes from
// the core's address, so without a bound six tabs opening one desktop at
// once — all of them, after a core restart — lock that desktop out for
// everyone, and the relay answers 502. Two at once, plus the probe's
// mark, stays below the threshold; a handshake takes a few milliseconds,
// so waiting for a slot costs little.
const MaxHandshakes = 2

// ErrBusy is returned by Gate.Do when ctx ends while other handshakes with
// the server hold every slot: the desktop is busy, not broken.
var ErrBusy = errors.New("vnc handshake: the server is busy with other handshakes")

// Gate bounds the handshakes running at once per VNC server, named by a
// key (the session id). The zero Gate is ready to use.
type Gate struct {
	mu    sync.Mutex
	slots map[string]*gateSlot
}

// gateSlot is one key's semaphore and how many callers hold or wait for it,
// so that an idle key's entry can be dropped.
type gateSlot struct {
	sem   chan struct{}
	users int
}

// Do runs handshake once fewer than MaxHandshakes others run for key, or
// returns ErrBusy wrapping ctx's error if it ends first. ctx bounds the
// wait only.
func (g *Gate) Do(ctx context.Context, key string, handshake func() error) error {
	s := g.join(key)
	defer g.leave(key, s)
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w (%d at once): %w", ErrBusy, MaxHandshakes, ctx.Err())
	}
	defer func() { <-s.sem }()
	return handshake()
}

func (g *Gate) join(key string) *gateSlot {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.slots == nil {
		g.slots = map[string]*gateSlot{}
	}
	s := g.slots[key]
	if s == nil {
		s = &gateSlot{sem: make(chan struct{}, MaxHandshakes)}
		g.slots[key] = s
	}
	s.users++
	return s
}

func (g *Gate) leave(key string, s *gateSlot) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s.users--; s.users == 0 {
		delete(g.slots, key)
	}
}
