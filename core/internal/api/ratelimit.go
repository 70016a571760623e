package api

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/ratelimit"
)

// Limits of the requests that each cost a database write and may start a
// tunnel (create, connect, open): per user a burst of 20 and one more
// every 3 s, per client address a burst of 60 and one more every second.
// A person clicking never meets them; a script in a loop does. They are
// per core (see package ratelimit for why).
var (
	userEvery, userBurst = 3 * time.Second, 20
	addrEvery, addrBurst = time.Second, 60
)

// requestLimits are the buckets of one core.
type requestLimits struct{ user, addr *ratelimit.Limiter }

func newRequestLimits() requestLimits {
	return requestLimits{user: ratelimit.New(userEvery, userBurst), addr: ratelimit.New(addrEvery, addrBurst)}
}

// limited runs h only while the caller's and its address's buckets hold a
// token; otherwise it answers 429 problem+json with Retry-After.
func (s *Server) limited(h authedHandler) authedHandler {
	return func(c *fiber.Ctx, p *authn.Principal) error {
		ok, wait := s.limits.user.Allow(p.User.ID.String())
		if ok {
			ok, wait = s.limits.addr.Allow(c.IP())
		}
		if !ok {
			c.Set(fiber.HeaderRetryAfter, ratelimit.RetryAfter(wait))
			return problem.New(http.StatusTooManyRequests, problem.RateLimited, "too many requests of this kind; wait the Retry-After seconds and try again")
		}
		return h(c, p)
	}
}
