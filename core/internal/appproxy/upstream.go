package appproxy

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/valyala/fasthttp"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// upstreamTTL bounds how long this replica uses a session instance's
// upstream settings without asking again: a workspace plugin upgraded
// under a running session may declare otherwise, and a replica that
// missed a stop should not keep the session's secret for long.
const upstreamTTL = 10 * time.Minute

// upstreamCacheMax bounds the cache, as grantCacheMax does the grants'.
const upstreamCacheMax = 10000

// appUpstream is what the proxy adds to every request it forwards to one
// session instance's app (session.AppUpstream), in the form the hot path
// wants.
type appUpstream struct {
	// authName and authValue are the header proving the request came
	// through the proxy; authName is "" when the workspace declares none.
	authName, authValue string
	// clientCopiesDropped: endToEndRequest already drops the client's own
	// copies of authName (Authorization), so none need looking for.
	clientCopiesDropped bool
	// keepBasePath: in path mode, forward /apps/{session}/… whole.
	keepBasePath bool
}

type upstreamKey struct {
	session  uuid.UUID
	instance string
}

// upstreamEntry is one instance's settings, or their fetch in flight:
// done closes when up or err is set.
type upstreamEntry struct {
	done    chan struct{}
	up      *appUpstream
	err     error
	expires time.Time
}

// upstreams caches appUpstream per session instance. Fetching costs a
// plugin call and opening the session's sealed secrets, while the result
// holds for the instance's life, so requests only read this map; the
// first request of an instance fetches, and those arriving meanwhile wait
// for that one fetch. Failures are not cached.
type upstreams struct {
	mu sync.Mutex
	m  map[upstreamKey]*upstreamEntry
}

func newUpstreams() *upstreams { return &upstreams{m: map[upstreamKey]*upstreamEntry{}} }

// get returns s's settings, fetching them with fetch when they are not
// cached. ctx bounds the wait, not the fetch, which other requests share.
func (u *upstreams) get(ctx context.Context, s store.Session, fetch func(store.Session) (*appUpstream, error)) (*appUpstream, error) {
	key := upstreamKey{s.ID, s.InstanceID}
	now := time.Now()
	u.mu.Lock()
	e := u.m[key]
	if e == nil || (isDone(e.done) && !now.Before(e.expires)) {
		if len(u.m) >= upstreamCacheMax {
			u.m = map[upstreamKey]*upstreamEntry{}
		}
		e = &upstreamEntry{done: make(chan struct{})}
		u.m[key] = e
		u.mu.Unlock()
		e.up, e.err = fetch(s)
		e.expires = time.Now().Add(upstreamTTL)
		close(e.done)
		if e.err != nil {
			u.forget(key, e)
		}
		return e.up, e.err
	}
	u.mu.Unlock()
	select {
	case <-e.done:
		return e.up, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// forget removes key's entry if it is still e.
func (u *upstreams) forget(key upstreamKey, e *upstreamEntry) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m[key] == e {
		delete(u.m, key)
	}
}

// drop forgets every instance of a session, e.g. when it stops.
func (u *upstreams) drop(sessionID string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for k := range u.m {
		if k.session.String() == sessionID {
			delete(u.m, k)
		}
	}
}

// fetchUpstream asks the session manager, outside any one request's
// context: the requests waiting for it share the answer.
func (p *Proxy) fetchUpstream(s store.Session) (*appUpstream, error) {
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.DialTimeout)
	defer cancel()
	a, err := p.opts.Sessions.AppUpstream(ctx, s)
	if err != nil {
		return nil, err
	}
	return &appUpstream{
		authName: a.AuthHeader, authValue: a.AuthValue,
		clientCopiesDropped: requestStrip[strings.ToLower(a.AuthHeader)],
		keepBasePath:        a.KeepBasePath,
	}, nil
}

// upstreamLocal keys the request's appUpstream in its locals.
type upstreamLocal struct{}

// admitApp does, for a request that passed the access check, what depends
// on the session's app: the same-origin rule for state-changing requests,
// and the app's upstream settings, which it returns and leaves in c's
// locals for upstreamRequest and upstreamWSHeader. prefix is the path-mode
// prefix ("" on an app host).
func (p *Proxy) admitApp(c *fiber.Ctx, s store.Session, prefix string) (*appUpstream, *refusal) {
	if r := p.crossOrigin(c, s, prefix); r != nil {
		return nil, r
	}
	up, err := p.upstreams.get(c.UserContext(), s, p.fetchUpstream)
	if err != nil {
		p.opts.Logger.Warn("could not learn how to reach the session's app", "session", s.ID, "error", err)
		return nil, &refuseAppSetup
	}
	c.Locals(upstreamLocal{}, up)
	return up, nil
}

// setUpstreamAuth puts the app's upstream credential on a forwarded
// request, replacing whatever the client sent under that name in any
// spelling: only the proxy may present it.
func setUpstreamAuth(c *fiber.Ctx, h *fasthttp.RequestHeader) {
	up, _ := c.Locals(upstreamLocal{}).(*appUpstream)
	if up == nil || up.authName == "" {
		return
	}
	if !up.clientCopiesDropped {
		// The header keeps the client's spelling of names, and lookups
		// are exact: find every spelling first, then delete.
		var names [][]byte
		h.VisitAll(func(k, _ []byte) {
			if strings.EqualFold(string(k), up.authName) {
				names = append(names, append([]byte(nil), k...))
			}
		})
		for _, k := range names {
			h.DelBytes(k)
		}
	}
	h.Set(up.authName, up.authValue)
}

// setUpstreamAuthWS does the same for a WebSocket handshake, whose header
// holds canonical names, so Set replaces every client copy.
func setUpstreamAuthWS(c *fiber.Ctx, h http.Header) {
	up, _ := c.Locals(upstreamLocal{}).(*appUpstream)
	if up == nil || up.authName == "" {
		return
	}
	h.Set(up.authName, up.authValue)
}
