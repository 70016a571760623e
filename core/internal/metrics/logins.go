package metrics

import "github.com/prometheus/client_golang/prometheus"

// Logins is the handle logins report to. Its methods do nothing on a nil
// handle.
type Logins struct {
	total *prometheus.CounterVec
}

func newLogins(reg prometheus.Registerer) *Logins {
	l := &Logins{total: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "logins_total",
		Help: "Logins by method (password, or the auth block's name for single sign-on) and result (ok, failed, throttled).",
	}, []string{"method", "result"})}
	reg.MustRegister(l.total)
	return l
}

// Login results.
const (
	LoginOK        = "ok"
	LoginFailed    = "failed"
	LoginThrottled = "throttled"
)

// Login counts one login attempt.
func (l *Logins) Login(method, result string) {
	if l == nil {
		return
	}
	l.total.WithLabelValues(method, result).Inc()
}
