package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// startBuckets spread from a warm container (about a second) to a cold
// pod pulling its image (minutes), in seconds.
var startBuckets = []float64{0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90, 120, 300}

// Sessions is the handle the session lifecycle reports to. Its methods
// do nothing on a nil handle.
type Sessions struct {
	starts   *prometheus.CounterVec
	failures *prometheus.CounterVec
	startDur *prometheus.HistogramVec
	phaseDur *prometheus.HistogramVec
	quota    *prometheus.CounterVec
	culled   *prometheus.CounterVec
}

func newSessions(reg prometheus.Registerer) *Sessions {
	s := &Sessions{
		starts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "session_starts_total",
			Help: "Session starts this core began (pending to starting), by template and runtime.",
		}, []string{"template", "runtime"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "session_failures_total",
			Help: "Sessions this core marked failed, by template, runtime and reason.",
		}, []string{"template", "runtime", "reason"}),
		startDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "session_start_duration_seconds",
			Help:    "Time from a session's creation (admission) to running, by template and runtime.",
			Buckets: startBuckets,
		}, []string{"template", "runtime"}),
		phaseDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "session_start_phase_duration_seconds",
			Help:    "Time a start spent in each phase: queued (admitted to picked up), prepare (workspace describe and launch spec), runtime_start (the runtime's StartSession), app_ready (readiness probe), by runtime.",
			Buckets: startBuckets,
		}, []string{"runtime", "phase"}),
		quota: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "quota_refusals_total",
			Help: "Session creations refused by a quota, by scope (org, user) and limit (sessions, cpu_millis, memory_bytes).",
		}, []string{"scope", "limit"}),
		culled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "sessions_culled_total",
			Help: "Sessions this core stopped by itself, by template and cause (idle, max_lifetime).",
		}, []string{"template", "cause"}),
	}
	reg.MustRegister(s.starts, s.failures, s.startDur, s.phaseDur, s.quota, s.culled)
	return s
}

// The phases of a start, as session_start_phase_duration_seconds names
// them.
const (
	PhaseQueued       = "queued"
	PhasePrepare      = "prepare"
	PhaseRuntimeStart = "runtime_start"
	PhaseAppReady     = "app_ready"
)

// StartBegan counts a start this core took up.
func (s *Sessions) StartBegan(template, runtime string) {
	if s == nil {
		return
	}
	s.starts.WithLabelValues(template, runtime).Inc()
}

// Started records a start that reached running, took after admission.
func (s *Sessions) Started(template, runtime string, took time.Duration) {
	if s == nil {
		return
	}
	s.startDur.WithLabelValues(template, runtime).Observe(took.Seconds())
}

// Phase records how long one phase of a start took.
func (s *Sessions) Phase(runtime, phase string, took time.Duration) {
	if s == nil {
		return
	}
	s.phaseDur.WithLabelValues(runtime, phase).Observe(took.Seconds())
}

// Failed counts a session marked failed; reason is one of the session
// package's fixed reasons.
func (s *Sessions) Failed(template, runtime, reason string) {
	if s == nil {
		return
	}
	s.failures.WithLabelValues(template, runtime, reason).Inc()
}

// QuotaRefused counts a creation a quota refused.
func (s *Sessions) QuotaRefused(scope, limit string) {
	if s == nil {
		return
	}
	s.quota.WithLabelValues(scope, limit).Inc()
}

// Culled counts a session stopped for idleness or age.
func (s *Sessions) Culled(template, cause string) {
	if s == nil {
		return
	}
	s.culled.WithLabelValues(template, cause).Inc()
}
