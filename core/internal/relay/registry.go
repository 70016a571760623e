package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/fasthttp/websocket"

	"github.com/atrium-hq/atrium/core/internal/access"
	"github.com/atrium-hq/atrium/core/internal/wsclose"
)

// ErrShuttingDown is returned by Registry.Run once Shutdown has begun.
var ErrShuttingDown = errors.New("relay registry is shutting down; no new relays are accepted")

// Close frames the registry sends, so the browser can tell the user why the
// desktop went away.
const (
	reasonSessionStopped = "session stopped"
	reasonLoggedOut      = "logged out"
	reasonShutdown       = wsclose.CoreRestarting
	reasonRevoked        = "access revoked; log in again"
)

// Registry tracks this core's live relays by session and by user, so the
// core can end every relay of a session (on stop), of a user (on logout), or
// all of them (on shutdown). It holds only what runs in this process; other
// replicas hold their own.
type Registry struct {
	mu        sync.Mutex
	closed    bool
	bySession map[string]map[*Relay]struct{}
	byUser    map[string]map[*Relay]struct{}
	running   sync.WaitGroup
	onAdd     func(Owner)
	// ended adds up the bytes of relays that have returned, counted
	// under mu as they leave, so Totals never goes down.
	endedUp, endedDown uint64
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		bySession: make(map[string]map[*Relay]struct{}),
		byUser:    make(map[string]map[*Relay]struct{}),
	}
}

// Run registers r, runs it, and forgets it when it returns. It returns
// ErrShuttingDown, without running r, once Shutdown has begun; r's
// connections are then closed.
func (g *Registry) Run(r *Relay) error {
	if err := g.add(r); err != nil {
		r.Close(websocket.CloseGoingAway, reasonShutdown)
		return err
	}
	defer g.remove(r)
	defer g.running.Done()
	return r.Run()
}

func (g *Registry) add(r *Relay) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrShuttingDown
	}
	g.running.Add(1)
	addTo(g.bySession, r.owner.SessionID, r)
	addTo(g.byUser, r.owner.UserID, r)
	if g.onAdd != nil {
		g.onAdd(r.owner)
	}
	return nil
}

// OnAdd sets fn to be told of every relay as it is registered, e.g. so
// its grant is checked once more now that a revocation would find it. fn
// runs under the registry's lock and must not block. Call it before the
// registry runs relays.
func (g *Registry) OnAdd(fn func(Owner)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.onAdd = fn
}

func (g *Registry) remove(r *Relay) {
	g.mu.Lock()
	defer g.mu.Unlock()
	removeFrom(g.bySession, r.owner.SessionID, r)
	removeFrom(g.byUser, r.owner.UserID, r)
	g.endedUp += r.toUpstream.Load()
	g.endedDown += r.toClient.Load()
}

// Totals returns the live relays and the payload bytes every relay of
// this registry has carried each way, live or ended. The relays count
// their bytes anyway, so metrics read here cost the copy loops nothing.
func (g *Registry) Totals() (open int, toUpstream, toClient uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	toUpstream, toClient = g.endedUp, g.endedDown
	for _, set := range g.bySession {
		for r := range set {
			open++
			toUpstream += r.toUpstream.Load()
			toClient += r.toClient.Load()
		}
	}
	return open, toUpstream, toClient
}

func addTo(m map[string]map[*Relay]struct{}, key string, r *Relay) {
	set := m[key]
	if set == nil {
		set = make(map[*Relay]struct{})
		m[key] = set
	}
	set[r] = struct{}{}
}

func removeFrom(m map[string]map[*Relay]struct{}, key string, r *Relay) {
	set := m[key]
	delete(set, r)
	if len(set) == 0 {
		delete(m, key)
	}
}

// CloseSession ends every relay of the session and returns how many it
// ended. Call it when the session stops.
func (g *Registry) CloseSession(sessionID string) int {
	return closeAll(g.snapshot(func() map[*Relay]struct{} { return g.bySession[sessionID] }), websocket.CloseNormalClosure, reasonSessionStopped)
}

// CloseUser ends every relay of the user and returns how many it ended.
// Call it when the user logs out or is disabled.
func (g *Registry) CloseUser(userID string) int {
	return closeAll(g.snapshot(func() map[*Relay]struct{} { return g.byUser[userID] }), websocket.CloseNormalClosure, reasonLoggedOut)
}

// Grants lists the grants of the live relays, each once (access.Streams).
func (g *Registry) Grants() []access.Grant {
	seen := map[access.Grant]struct{}{}
	var out []access.Grant
	for _, r := range g.all() {
		if _, ok := seen[r.owner.Grant]; !ok {
			seen[r.owner.Grant] = struct{}{}
			out = append(out, r.owner.Grant)
		}
	}
	return out
}

// Revoke ends every relay resting on grant gr and returns how many it
// ended (access.Streams): the browser is told its access was revoked.
func (g *Registry) Revoke(gr access.Grant) int {
	var rs []*Relay
	for _, r := range g.all() {
		if r.owner.Grant == gr {
			rs = append(rs, r)
		}
	}
	return closeAll(rs, websocket.ClosePolicyViolation, reasonRevoked)
}

// CloseAll ends every relay and returns how many it ended. New relays are
// still accepted; Shutdown refuses them too.
func (g *Registry) CloseAll() int {
	return closeAll(g.all(), websocket.CloseGoingAway, reasonShutdown)
}

// Shutdown refuses new relays, ends every live one and waits until all have
// returned or ctx ends.
func (g *Registry) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	closeAll(g.all(), websocket.CloseGoingAway, reasonShutdown)
	done := make(chan struct{})
	go func() {
		g.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("relay shutdown: %d relays still running: %w", g.Len(), ctx.Err())
	}
}

// counts returns the user's live relays and all of them.
func (g *Registry) counts(userID string) (user, total int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, set := range g.bySession {
		total += len(set)
	}
	return len(g.byUser[userID]), total
}

// Len returns the number of live relays.
func (g *Registry) Len() int {
	return len(g.all())
}

// Stats returns a snapshot of every live relay, e.g. for metrics or idle
// culling.
func (g *Registry) Stats() []Stats {
	rs := g.all()
	out := make([]Stats, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Stats())
	}
	return out
}

// SessionStats returns a snapshot of the session's live relays.
func (g *Registry) SessionStats(sessionID string) []Stats {
	rs := g.snapshot(func() map[*Relay]struct{} { return g.bySession[sessionID] })
	out := make([]Stats, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Stats())
	}
	return out
}

func (g *Registry) snapshot(pick func() map[*Relay]struct{}) []*Relay {
	g.mu.Lock()
	defer g.mu.Unlock()
	set := pick()
	out := make([]*Relay, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	return out
}

func (g *Registry) all() []*Relay {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*Relay
	for _, set := range g.bySession {
		for r := range set {
			out = append(out, r)
		}
	}
	return out
}

// closeAll closes the relays in parallel, since each may wait up to its
// CloseGrace for a stuck browser, and returns once every close has been
// sent and every connection closed.
func closeAll(rs []*Relay, code int, text string) int {
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Close(code, text)
		}()
	}
	wg.Wait()
	return len(rs)
}
