package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// API is the handle the core's HTTP routes report to. Its methods do
// nothing on a nil handle.
type API struct {
	requests *prometheus.HistogramVec
}

func newAPI(reg prometheus.Registerer) *API {
	a := &API{requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "http_request_duration_seconds",
		Help:    "The core's own HTTP requests (API, UI, probes; not app proxy traffic), by method, route pattern and status class.",
		Buckets: latencyBuckets,
	}, []string{"method", "route", "status_class"})}
	reg.MustRegister(a.requests)
	return a
}

// Request records one request; route must be a registered pattern such
// as /api/v1/sessions/:session, never the request's own path.
func (a *API) Request(method, route string, status int, took time.Duration) {
	if a == nil {
		return
	}
	a.requests.WithLabelValues(method, route, statusClass(status)).Observe(took.Seconds())
}

// ObserveSSE registers atrium_sse_subscribers, read through n at each
// scrape.
func (r *Registry) ObserveSSE(n func() int) {
	r.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "sse_subscribers",
		Help: "Clients following /api/v1/sessions/events on this core.",
	}, func() float64 { return float64(n()) }))
}
