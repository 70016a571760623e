package access

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// Streams is one kind of live stream a replica holds (relays, app
// WebSockets).
type Streams interface {
	// Grants lists the grants of the live streams, each once.
	Grants() []Grant
	// Revoke closes every live stream resting on g and says how many.
	Revoke(g Grant) int
}

// Checker finds the grants that no longer hold; *store.Store is one.
type Checker interface {
	RevokedGrants(ctx context.Context, gs []Grant) ([]Grant, error)
}

// Feed announces users whose access may have ended. The channel closes when
// announcements may have been missed (a lost database connection, a
// subscriber too far behind); the Revoker then checks every stream and
// subscribes again. *session.Watcher is one.
type Feed interface {
	SubscribeRevocations() (<-chan uuid.UUID, func())
}

// DefaultSweep is how often a Revoker re-checks every stream even without
// an announcement: it bounds how long an API key's expiry, or a change
// missed while the feed reconnected, goes unseen.
const DefaultSweep = 30 * time.Second

// Revoker closes this replica's streams whose grants no longer hold.
type Revoker struct {
	feed    Feed
	check   Checker
	streams []Streams
	log     hclog.Logger
	sweep   time.Duration
	kick    chan uuid.UUID
}

// NewRevoker returns a Revoker; Run makes it work. sweep 0 means
// DefaultSweep.
func NewRevoker(feed Feed, check Checker, log hclog.Logger, sweep time.Duration, streams ...Streams) *Revoker {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if sweep <= 0 {
		sweep = DefaultSweep
	}
	return &Revoker{feed: feed, check: check, streams: streams, log: log, sweep: sweep, kick: make(chan uuid.UUID, 256)}
}

// Recheck asks for the user's streams to be checked soon. Holders call it
// when a stream starts: its grant was checked when its ticket was
// redeemed, but a revocation announced between that check and the
// stream's registration would otherwise wait for the next sweep. It never
// blocks; when the queue is full the next sweep does the work.
func (r *Revoker) Recheck(userID uuid.UUID) {
	select {
	case r.kick <- userID:
	default:
	}
}

// Run works until ctx ends.
func (r *Revoker) Run(ctx context.Context) {
	changes, cancel := r.feed.SubscribeRevocations()
	defer func() { cancel() }()
	r.checkAll(ctx)
	tick := time.NewTicker(r.sweep)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case id, ok := <-changes:
			if !ok {
				cancel()
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
				changes, cancel = r.feed.SubscribeRevocations()
				r.checkAll(ctx)
				continue
			}
			r.checkUser(ctx, id)
		case id := <-r.kick:
			r.checkUser(ctx, id)
		case <-tick.C:
			r.checkAll(ctx)
		}
	}
}

func (r *Revoker) checkUser(ctx context.Context, id uuid.UUID) {
	r.checkWhere(ctx, func(g Grant) bool { return g.UserID == id })
}

func (r *Revoker) checkAll(ctx context.Context) {
	r.checkWhere(ctx, func(Grant) bool { return true })
}

// checkWhere checks the grants that match and closes the revoked ones.
// When the database cannot answer, streams keep running: they were
// admitted by a check that held, and closing every stream of every user
// whenever PostgreSQL blinks would be worse. The next announcement or
// sweep tries again.
func (r *Revoker) checkWhere(ctx context.Context, match func(Grant) bool) {
	seen := map[Grant]struct{}{}
	var gs []Grant
	for _, s := range r.streams {
		for _, g := range s.Grants() {
			if _, dup := seen[g]; !dup && match(g) {
				seen[g] = struct{}{}
				gs = append(gs, g)
			}
		}
	}
	if len(gs) == 0 {
		return
	}
	revoked, err := r.check.RevokedGrants(ctx, gs)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("could not check live streams' access; they keep running until the next check", "streams", len(gs), "error", err)
		}
		return
	}
	for _, g := range revoked {
		n := 0
		for _, s := range r.streams {
			n += s.Revoke(g)
		}
		if n > 0 {
			r.log.Info("closed live streams whose access was revoked", "user", g.UserID, "org", g.OrgID,
				"login_session", g.LoginSessionID, "api_key", g.APIKeyID, "streams", n)
		}
	}
}
