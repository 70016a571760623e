package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SessionCount is one row of the session table's census.
type SessionCount struct {
	State, Template, Runtime string
	N                        int64
}

// censusTimeout bounds one census query, so a stuck database cannot hold
// a scrape past Prometheus' own timeout.
const censusTimeout = 5 * time.Second

// census is atrium_sessions: the session table counted by state,
// template and runtime. The count is the database's, the same on every
// replica, so it is cached for ttl: scrapes of many replicas by several
// Prometheus servers then cost one query per replica per ttl, not one per
// scrape. Label sets seen once stay, at zero, so a state that empties
// reads 0 rather than vanishing.
type census struct {
	desc  *prometheus.Desc
	count func(context.Context) ([]SessionCount, error)
	ttl   time.Duration

	mu   sync.Mutex
	at   time.Time
	last map[[3]string]int64
	err  error
}

// CountSessions registers atrium_sessions, read through count at most
// once per ttl.
func (r *Registry) CountSessions(count func(context.Context) ([]SessionCount, error), ttl time.Duration) {
	r.reg.MustRegister(&census{
		desc: prometheus.NewDesc(namespace+"_sessions", "Sessions in the database by state, template and runtime (the same on every replica: aggregate with max, not sum).",
			[]string{"state", "template", "runtime"}, nil),
		count: count, ttl: ttl, last: map[[3]string]int64{},
	})
}

func (c *census) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *census) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) >= c.ttl {
		c.refresh()
	}
	if c.err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, c.err)
		return
	}
	for k, n := range c.last {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), k[0], k[1], k[2])
	}
}

// refresh queries the census; on failure the error is served until the
// next try, one ttl later.
func (c *census) refresh() {
	c.at = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), censusTimeout)
	defer cancel()
	rows, err := c.count(ctx)
	c.err = err
	if err != nil {
		return
	}
	for k := range c.last {
		c.last[k] = 0
	}
	for _, r := range rows {
		c.last[[3]string{r.State, r.Template, r.Runtime}] += r.N
	}
}
