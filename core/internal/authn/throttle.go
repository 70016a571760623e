package authn

import (
	"context"
	"time"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// Throttle counts failed logins per client address and username and
// refuses further attempts for a while after too many, which stops online
// password guessing without locking the account for everybody else. The
// counts live in PostgreSQL, so failures spread over several core replicas
// add up to the same limit.
type Throttle struct {
	// Max failures within Window before attempts are refused until the
	// window has passed since the first of them.
	Max    int
	Window time.Duration

	db *store.Store
}

// NewThrottle allows max failures per window, counted in db.
func NewThrottle(db *store.Store, max int, window time.Duration) *Throttle {
	return &Throttle{Max: max, Window: window, db: db}
}

// NewLoginThrottle is the throttle of every interactive login, password or
// an auth plugin's page: 10 failures per 15 minutes. Instances share the
// counts through db.
func NewLoginThrottle(db *store.Store) *Throttle { return NewThrottle(db, 10, 15*time.Minute) }

// Allow reports whether another attempt is allowed now. It fails closed:
// when the count cannot be read, the attempt is refused with the error.
func (t *Throttle) Allow(ctx context.Context, ip, username string, now time.Time) (bool, error) {
	f, err := t.db.RecentLoginFailures(ctx, ip, username, t.Window, now)
	if err != nil {
		return false, err
	}
	return f.Failures < t.Max, nil
}

// Failed records a failed attempt.
func (t *Throttle) Failed(ctx context.Context, ip, username string, now time.Time) error {
	return t.db.RecordLoginFailure(ctx, ip, username, t.Window, now)
}

// Succeeded forgets the failures of a client and username.
func (t *Throttle) Succeeded(ctx context.Context, ip, username string) error {
	return t.db.ForgetLoginFailures(ctx, ip, username)
}

// Prune deletes counts whose window has passed.
func (t *Throttle) Prune(ctx context.Context, now time.Time) (int64, error) {
	return t.db.DeleteStaleLoginFailures(ctx, t.Window, now)
}
