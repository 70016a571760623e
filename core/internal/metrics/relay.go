package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// streamBuckets run from a failed connect to a working day, in seconds.
var streamBuckets = []float64{1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 57600}

// Relay is the handle the desktop relay reports to: refusals and ended
// streams. Live streams and bytes are read from the relay registry at
// scrape time (ObserveRelays), so the copy loops pay nothing for them.
// Its methods do nothing on a nil handle.
type Relay struct {
	refused  *prometheus.CounterVec
	ended    *prometheus.CounterVec
	duration prometheus.Histogram
}

func newRelay(reg prometheus.Registerer) *Relay {
	r := &Relay{
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "relay_refused_upgrades_total",
			Help: "Desktop relay requests refused before the upgrade, by reason.",
		}, []string{"reason"}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "relay_streams_closed_total",
			Help: "Desktop relay streams that ended, by reason.",
		}, []string{"reason"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "relay_stream_duration_seconds",
			Help:    "How long desktop relay streams lasted.",
			Buckets: streamBuckets,
		}),
	}
	reg.MustRegister(r.refused, r.ended, r.duration)
	return r
}

// Refused counts an upgrade refused for reason (the refusal's short name).
func (r *Relay) Refused(reason string) {
	if r == nil {
		return
	}
	r.refused.WithLabelValues(reason).Inc()
}

// Ended records a stream that ended for reason after lasting lasted.
func (r *Relay) Ended(reason string, lasted time.Duration) {
	if r == nil {
		return
	}
	r.ended.WithLabelValues(reason).Inc()
	r.duration.Observe(lasted.Seconds())
}

// RelayTotals is what this core's relays add up to: live streams, and
// payload bytes each way over every stream, live or ended.
type RelayTotals struct {
	Open                           int
	BytesToSession, BytesToBrowser uint64
}

// ObserveRelays registers atrium_relay_streams_open and
// atrium_relay_bytes_total, read through totals at each scrape.
func (r *Registry) ObserveRelays(totals func() RelayTotals) {
	r.reg.MustRegister(&relayCollector{
		open: prometheus.NewDesc(namespace+"_relay_streams_open", "Desktop relay streams this core carries now.", nil, nil),
		bytes: prometheus.NewDesc(namespace+"_relay_bytes_total", "Payload bytes the desktop relay carried, by direction (to_session, to_browser).",
			[]string{"direction"}, nil),
		totals: totals,
	})
}

type relayCollector struct {
	open, bytes *prometheus.Desc
	totals      func() RelayTotals
}

func (c *relayCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.open; ch <- c.bytes }

func (c *relayCollector) Collect(ch chan<- prometheus.Metric) {
	t := c.totals()
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(t.Open))
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(t.BytesToSession), "to_session")
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(t.BytesToBrowser), "to_browser")
}
