package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// latencyBuckets suit proxied and API requests, in seconds.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Apps is the handle the app proxy reports to. The status classes'
// observers are resolved once, so a request costs no label lookup. Its
// methods do nothing on a nil handle.
type Apps struct {
	byClass  [7]prometheus.Observer // index status/100; 0 and 6 unused
	none     prometheus.Observer
	upstream *prometheus.CounterVec
}

func newApps(reg prometheus.Registerer) *Apps {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "app_proxy_request_duration_seconds",
		Help:    "App proxy requests (VS Code, Jupyter) until the response header, by status class.",
		Buckets: latencyBuckets,
	}, []string{"status_class"})
	a := &Apps{
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "app_proxy_upstream_errors_total",
			Help: "App proxy requests whose app could not be reached or answered badly, by kind (request, websocket).",
		}, []string{"kind"}),
	}
	for c := 1; c <= 5; c++ {
		a.byClass[c] = h.WithLabelValues(statusClass(c * 100))
	}
	a.none = h.WithLabelValues(statusClass(0))
	reg.MustRegister(h, a.upstream)
	return a
}

// Request records one proxied request's status and time to its header.
func (a *Apps) Request(status int, took time.Duration) {
	if a == nil {
		return
	}
	o := a.none
	if c := status / 100; c >= 1 && c <= 5 {
		o = a.byClass[c]
	}
	o.Observe(took.Seconds())
}

// UpstreamError counts a request (kind "request") or WebSocket handshake
// (kind "websocket") the app could not serve.
func (a *Apps) UpstreamError(kind string) {
	if a == nil {
		return
	}
	a.upstream.WithLabelValues(kind).Inc()
}

// ObserveAppSockets registers atrium_app_proxy_websockets_open, read
// through open at each scrape.
func (r *Registry) ObserveAppSockets(open func() int) {
	r.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "app_proxy_websockets_open",
		Help: "App WebSockets this core proxies now.",
	}, func() float64 { return float64(open()) }))
}
