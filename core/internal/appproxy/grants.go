package appproxy

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/access"
	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// grantCacheMax bounds the cache; past it, the cache starts over rather
// than grow with every cookie anyone invents.
const grantCacheMax = 10000

// grantCache remembers, for a few seconds, that a credential (the hash of
// an app cookie, or of a core cookie in path mode) opens a session, so a
// page load of a hundred requests costs one database query, not a hundred.
// Only successes are cached; the database stays the authority, and the
// TTL bounds how late a stop or logout is seen on another replica.
type grantCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[grantKey]grant
}

type grant struct {
	app     store.AppSession
	expires time.Time
}

func newGrantCache(ttl time.Duration) *grantCache {
	return &grantCache{ttl: ttl, m: map[grantKey]grant{}}
}

// grantKey is a credential's hash (its stored form) and the session it was
// presented for: a fixed-size key, so a lookup on every proxied request
// allocates nothing.
type grantKey struct {
	cred    [sha256.Size]byte
	session uuid.UUID
}

func newGrantKey(cred []byte, session uuid.UUID) grantKey {
	return grantKey{cred: authn.TokenDigest(cred), session: session}
}

func (g *grantCache) get(key grantKey, now time.Time) (store.AppSession, bool) {
	if g.ttl < 0 {
		return store.AppSession{}, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.m[key]
	if !ok || !now.Before(e.expires) {
		return store.AppSession{}, false
	}
	return e.app, true
}

func (g *grantCache) put(key grantKey, a store.AppSession, now time.Time) {
	if g.ttl < 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.m) >= grantCacheMax {
		g.m = map[grantKey]grant{}
	}
	g.m[key] = grant{app: a, expires: now.Add(g.ttl)}
}

func (g *grantCache) drop(match func(store.AppSession) bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, e := range g.m {
		if match(e.app) {
			delete(g.m, k)
		}
	}
}

func (g *grantCache) dropSession(id string) {
	g.drop(func(a store.AppSession) bool { return a.Session.ID.String() == id })
}

func (g *grantCache) dropGrant(gr access.Grant) {
	g.drop(func(a store.AppSession) bool { return a.Grant == gr })
}
