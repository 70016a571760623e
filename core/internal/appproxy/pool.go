package appproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/valyala/fasthttp"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// errNotHTTP is a dial that reached a workspace that does not speak HTTP.
var errNotHTTP = errors.New("the session's primary port is not an HTTP app")

// bufferedMax is the largest upstream response body read whole before it
// is passed on; larger ones, and chunked ones, are streamed. fasthttp's
// client streams only bodies above its MaxResponseBodySize, so this must
// not be 0 (which means "no limit": everything would be buffered).
const bufferedMax = 16 << 10

// pools holds one HTTP client per session instance. Each client keeps the
// instance's idle keep-alive connections, because every dial opens a new
// runtime tunnel.
type pools struct {
	p  *Proxy
	mu sync.Mutex
	m  map[poolKey]*sessionPool
}

// poolKey names a session instance's pool; a struct, so the lookup on
// every request allocates nothing.
type poolKey struct {
	session  uuid.UUID
	instance string
}

type sessionPool struct {
	hc       *fasthttp.HostClient
	lastUsed atomic.Int64
}

func newPools(ctx context.Context, p *Proxy) *pools {
	ps := &pools{p: p, m: map[poolKey]*sessionPool{}}
	go ps.janitor(ctx)
	return ps
}

// get returns the client of s's current instance.
func (ps *pools) get(s store.Session) *fasthttp.HostClient {
	key := poolKey{s.ID, s.InstanceID}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	sp := ps.m[key]
	if sp == nil {
		sp = &sessionPool{hc: ps.newClient(s)}
		ps.m[key] = sp
	}
	sp.lastUsed.Store(time.Now().UnixNano())
	return sp.hc
}

func (ps *pools) newClient(s store.Session) *fasthttp.HostClient {
	o := ps.p.opts
	return &fasthttp.HostClient{
		// Addr only names the pool; Dial ignores it. The session is fixed
		// here, so nothing in a request can choose another upstream.
		Addr: s.ID.String() + ".session",
		Dial: func(string) (net.Conn, error) {
			c, err := ps.dial(s)
			if err != nil {
				return nil, err
			}
			return &idleConn{Conn: c, idle: ps.p.opts.StreamIdleTimeout}, nil
		},
		// Deadlines live on idleConn, per read and write, so streams of any
		// length pass as long as they move.
		MaxConns:            o.MaxConnsPerSession,
		MaxConnWaitTimeout:  o.DialTimeout,
		MaxIdleConnDuration: o.IdleConnTimeout,
		StreamResponseBody:  true,
		MaxResponseBodySize: bufferedMax,
		// The path and header names go upstream as the client sent them.
		DisablePathNormalizing:        true,
		DisableHeaderNamesNormalizing: true,
		NoDefaultUserAgentHeader:      true,
		// A request is retried once, only on a stale pooled connection and
		// only when it has no body to replay.
		RetryIfErr: func(req *fasthttp.Request, attempts int, err error) (bool, bool) {
			return false, attempts < 2 && !req.IsBodyStream() && len(req.Body()) == 0
		},
	}
}

// dial opens a tunnel to s's primary port and checks it speaks HTTP.
func (ps *pools) dial(s store.Session) (net.Conn, error) {
	o := ps.p.opts
	ctx, cancel := context.WithTimeout(context.Background(), o.DialTimeout)
	defer cancel()
	c, err := o.Sessions.DialPrimary(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("dial session %s: %w", s.ID, err)
	}
	if c.Protocol != workspace.ProtocolHTTP {
		_ = c.Conn.Close()
		return nil, fmt.Errorf("session %s (protocol %q): %w", s.ID, c.Protocol, errNotHTTP)
	}
	return c.Conn, nil
}

// drop closes the idle connections of every instance of a session.
func (ps *pools) drop(sessionID string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for k, sp := range ps.m {
		if k.session.String() == sessionID {
			sp.hc.CloseIdleConnections()
			delete(ps.m, k)
		}
	}
}

func (ps *pools) closeAll() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for k, sp := range ps.m {
		sp.hc.CloseIdleConnections()
		delete(ps.m, k)
	}
}

// janitor forgets the clients of sessions nobody used for a while (their
// idle connections have closed by then), so stopped sessions cost nothing.
func (ps *pools) janitor(ctx context.Context) {
	every := ps.p.opts.IdleConnTimeout
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			ps.mu.Lock()
			for k, sp := range ps.m {
				if now.Sub(time.Unix(0, sp.lastUsed.Load())) > 2*every && sp.hc.PendingRequests() == 0 {
					sp.hc.CloseIdleConnections()
					delete(ps.m, k)
				}
			}
			ps.mu.Unlock()
		}
	}
}
