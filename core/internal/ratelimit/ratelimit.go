// Package ratelimit holds per-key token buckets (per user, per client
// address) for the requests that cost the core a database write or a
// tunnel: session creation, connect, open, WebSocket upgrades and invalid
// relay tickets.
//
// Buckets live in each core's memory, on purpose. A limit exists to keep
// one client from costing a core (and the database behind it) more than
// its share; checking it in PostgreSQL would itself cost the write it is
// meant to spare. With N replicas a client gets at most N times the rate,
// a known bound; a restarted core forgets its buckets, which only gives
// clients a fresh burst — no state that matters is lost.
package ratelimit

import (
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxKeys bounds the buckets one Limiter keeps; past it, buckets that are
// full again (idle clients) are dropped.
const maxKeys = 50000

// Limiter is a set of token buckets, one per key, each allowing Burst at
// once and refilling at Every per event.
type Limiter struct {
	every time.Duration
	burst int
	mu    sync.Mutex
	m     map[string]*rate.Limiter
}

// New returns a Limiter whose buckets hold burst tokens and regain one
// every every.
func New(every time.Duration, burst int) *Limiter {
	return &Limiter{every: every, burst: burst, m: map[string]*rate.Limiter{}}
}

// Allow takes a token from key's bucket. When there is none it takes
// nothing and says how long until there is one (for Retry-After).
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	now := time.Now()
	r := l.bucket(key, now).ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Exhausted reports whether key's bucket is empty, without taking a
// token, and how long until it is not; for limits charged only on failure
// (invalid tickets), checked before the attempt.
func (l *Limiter) Exhausted(key string) (bool, time.Duration) {
	now := time.Now()
	b := l.bucket(key, now)
	if tok := b.TokensAt(now); tok < 1 {
		return true, time.Duration((1 - tok) * float64(l.every))
	}
	return false, 0
}

func (l *Limiter) bucket(key string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[key]
	if b == nil {
		if len(l.m) >= maxKeys {
			for k, v := range l.m {
				if v.TokensAt(now) >= float64(l.burst) {
					delete(l.m, k)
				}
			}
		}
		b = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.m[key] = b
	}
	return b
}

// RetryAfter is d as a Retry-After value: whole seconds, at least 1.
func RetryAfter(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}
