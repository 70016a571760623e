package metrics

import (
	"crypto/subtle"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric the core defines.
const namespace = "atrium"

// Registry is the core's metric registry with its handles.
type Registry struct {
	reg      *prometheus.Registry
	sessions *Sessions
	relay    *Relay
	apps     *Apps
	api      *API
	logins   *Logins
}

// New returns a registry with the Go runtime's and the process's own
// collectors and every handle's metrics registered.
func New() *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r := &Registry{
		reg:      reg,
		sessions: newSessions(reg),
		relay:    newRelay(reg),
		apps:     newApps(reg),
		api:      newAPI(reg),
		logins:   newLogins(reg),
	}
	return r
}

// Gatherer exposes the registry to tests and handlers.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// Handler serves the registry in Prometheus' exposition formats. With a
// token, a request must carry "Authorization: Bearer <token>"; others get
// 401 and learn nothing.
func (r *Registry) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{
		// A failing collector drops its own series, not the whole scrape.
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
	})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got := []byte(req.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="atrium metrics"`)
			http.Error(w, "metrics need the bearer token set in server { metrics_bearer_token }", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, req)
	})
}

// statusClass reduces an HTTP status to its class label, "2xx" to "5xx";
// anything else (0: no answer) is "none".
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "none"
	}
	return strconv.Itoa(status/100) + "xx"
}

// The handles of a registry that may be nil (metrics off): each is nil
// then, and counts nothing.

// Sessions is the session lifecycle's handle.
func (r *Registry) Sessions() *Sessions {
	if r == nil {
		return nil
	}
	return r.sessions
}

// Relay is the desktop relay's handle.
func (r *Registry) Relay() *Relay {
	if r == nil {
		return nil
	}
	return r.relay
}

// Apps is the app proxy's handle.
func (r *Registry) Apps() *Apps {
	if r == nil {
		return nil
	}
	return r.apps
}

// API is the core's HTTP routes' handle.
func (r *Registry) API() *API {
	if r == nil {
		return nil
	}
	return r.api
}

// Logins is the logins' handle.
func (r *Registry) Logins() *Logins {
	if r == nil {
		return nil
	}
	return r.logins
}
