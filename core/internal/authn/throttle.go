package authn

import (
	"strings"
	"sync"
	"time"
)

// Throttle counts failed logins per client address and username and
// refuses further attempts for a while after too many, which stops online
// password guessing without locking the account for everybody else. It
// lives in one core's memory: with several replicas each counts its own.
type Throttle struct {
	// Max failures within Window before attempts are refused until the
	// window has passed since the first of them.
	Max    int
	Window time.Duration

	mu   sync.Mutex
	fail map[string]*failures
}

type failures struct {
	n     int
	first time.Time
}

// maxTracked bounds the throttle's memory; expired entries are dropped
// when it is reached.
const maxTracked = 10000

// NewThrottle allows max failures per window.
func NewThrottle(max int, window time.Duration) *Throttle {
	return &Throttle{Max: max, Window: window, fail: map[string]*failures{}}
}

func throttleKey(ip, username string) string {
	return ip + "\x00" + strings.ToLower(username)
}

// Allow reports whether another attempt is allowed now.
func (t *Throttle) Allow(ip, username string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.fail[throttleKey(ip, username)]
	return f == nil || f.n < t.Max || now.Sub(f.first) >= t.Window
}

// Failed records a failed attempt.
func (t *Throttle) Failed(ip, username string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fail) >= maxTracked {
		for k, f := range t.fail {
			if now.Sub(f.first) >= t.Window {
				delete(t.fail, k)
			}
		}
	}
	k := throttleKey(ip, username)
	f := t.fail[k]
	if f == nil || now.Sub(f.first) >= t.Window {
		if len(t.fail) >= maxTracked {
			return // full of live entries: fail open rather than grow
		}
		f = &failures{first: now}
		t.fail[k] = f
	}
	f.n++
}

// Succeeded forgets the failures of a client and username.
func (t *Throttle) Succeeded(ip, username string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fail, throttleKey(ip, username))
}
