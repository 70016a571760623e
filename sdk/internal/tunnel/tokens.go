package tunnel

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net"
	"sync"
	"time"
)

// DialFunc reaches the session port a token was issued for. The token binds
// the session, handle and port by capturing them in its DialFunc.
type DialFunc func(ctx context.Context) (net.Conn, error)

// Tokens holds the one-time tokens of outstanding tunnels. A token is valid
// for one connection within its time to live.
type Tokens struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	pending []pendingToken
}

type pendingToken struct {
	token   []byte
	expires time.Time
	dial    DialFunc
}

// NewTokens returns an empty set whose tokens live for ttl. now is the clock;
// tests pass a fake one to expire tokens without waiting.
func NewTokens(ttl time.Duration, now func() time.Time) *Tokens {
	return &Tokens{ttl: ttl, now: now}
}

// Issue returns a fresh random token bound to dial.
func (t *Tokens) Issue(dial DialFunc) ([]byte, error) {
	token := make([]byte, TokenSize)
	if _, err := rand.Read(token); err != nil {
		return nil, fmt.Errorf("generate tunnel token: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.purgeLocked()
	t.pending = append(t.pending, pendingToken{token: token, expires: t.now().Add(t.ttl), dial: dial})
	return token, nil
}

// Redeem returns the DialFunc token was issued for and forgets the token, so
// it cannot be used again. It reports false for unknown, used and expired
// tokens. Every pending token is compared in constant time, so timing does
// not reveal how much of a guess was right.
func (t *Tokens) Redeem(token []byte) (DialFunc, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.purgeLocked()
	found := -1
	for i, p := range t.pending {
		if subtle.ConstantTimeCompare(p.token, token) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil, false
	}
	dial := t.pending[found].dial
	t.pending = append(t.pending[:found], t.pending[found+1:]...)
	return dial, true
}

// purgeLocked drops expired tokens. The caller holds t.mu.
func (t *Tokens) purgeLocked() {
	now := t.now()
	kept := t.pending[:0]
	for _, p := range t.pending {
		if now.Before(p.expires) {
			kept = append(kept, p)
		}
	}
	clear(t.pending[len(kept):])
	t.pending = kept
}
