package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// ObservePool registers the database pool's statistics (atrium_db_pool_*),
// read from stat at each scrape.
func (r *Registry) ObservePool(stat func() *pgxpool.Stat) {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(namespace+"_db_pool_"+name, help, nil, nil)
	}
	r.reg.MustRegister(&poolCollector{
		stat:     stat,
		max:      d("max_connections", "The pool's connection limit."),
		total:    d("connections", "Open connections, idle or in use."),
		acquired: d("acquired_connections", "Connections in use now."),
		idle:     d("idle_connections", "Idle connections."),
		acquires: d("acquires_total", "Connections handed out."),
		waited:   d("acquire_waits_total", "Acquires that had to wait for a connection."),
		canceled: d("acquire_canceled_total", "Acquires whose context ended while waiting."),
		waitSecs: d("acquire_wait_seconds_total", "Time spent acquiring connections."),
	})
}

type poolCollector struct {
	stat                                                             func() *pgxpool.Stat
	max, total, acquired, idle, acquires, waited, canceled, waitSecs *prometheus.Desc
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.max, c.total, c.acquired, c.idle, c.acquires, c.waited, c.canceled, c.waitSecs} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stat()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.max, float64(s.MaxConns()))
	gauge(c.total, float64(s.TotalConns()))
	gauge(c.acquired, float64(s.AcquiredConns()))
	gauge(c.idle, float64(s.IdleConns()))
	counter(c.acquires, float64(s.AcquireCount()))
	counter(c.waited, float64(s.EmptyAcquireCount()))
	counter(c.canceled, float64(s.CanceledAcquireCount()))
	counter(c.waitSecs, s.AcquireDuration().Seconds())
}
