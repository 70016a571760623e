package api

import (
	"net/http"
	"strings"
	"testing"
)

// TestDrainFailsReadinessAndClosesConnections: once the core drains,
// /readyz answers 503 with its own problem type while every other route
// still serves, and each answer asks the client to close its connection.
func TestDrainFailsReadinessAndClosesConnections(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	me := w.session(w.userA)
	if r := w.do(caller{}, "GET", "/readyz", ""); r.status != http.StatusOK || r.closes {
		t.Fatalf("/readyz before the drain: %d, closes %v %s", r.status, r.closes, r.body)
	}
	w.srv.Drain()
	r := w.do(caller{}, "GET", "/readyz", "")
	if r.status != http.StatusServiceUnavailable || !strings.HasSuffix(problemType(t, r), "/draining") {
		t.Fatalf("/readyz while draining: %d %s", r.status, r.body)
	}
	r = w.do(me, "GET", "/api/v1/me", "")
	if r.status != http.StatusOK || !r.closes {
		t.Errorf("GET /me while draining: %d, closes %v; want 200 and Connection: close", r.status, r.closes)
	}
	if r := w.do(caller{}, "GET", "/healthz", ""); r.status != http.StatusOK {
		t.Errorf("/healthz while draining: %d; the process still serves", r.status)
	}
}

func problemType(t *testing.T, r response) string {
	t.Helper()
	var p struct {
		Type string `json:"type"`
	}
	r.json(t, &p)
	return p.Type
}
