package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dashboardNoSeries names the dashboard queries a desktop session cannot
// give a series, and why; every other query must return one.
var dashboardNoSeries = map[string]string{
	"Starts and failures/B":                     "no session fails here",
	"App WebSockets open and upstream errors/B": "no app is unreachable here",
}

// dashboardQueries reads every panel query of deploy/observability's
// dashboard, keyed "panel/refId", with Grafana's $__rate_interval set to
// what Grafana picks for this test's 1s scrapes.
func dashboardQueries(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(), "deploy", "observability", "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ RefID, Expr string }
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	qs := map[string]string{}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			qs[p.Title+"/"+tg.RefID] = strings.ReplaceAll(tg.Expr, "$__rate_interval", "1m")
		}
	}
	return qs
}

// promSeries runs an instant query and returns how many series it gave.
func promSeries(t *testing.T, base, query string) int {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status, Error string
		Data          struct{ Result []json.RawMessage }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "success" {
		t.Fatalf("query %s does not run: %s", query, body.Error)
	}
	return len(body.Data.Result)
}

// TestDashboardQueriesReturnSeries runs every panel query of the Grafana
// dashboard against a real Prometheus scraping the built core after a
// desktop started, streamed, had its stream closed and saw a refused
// upgrade: each query must run and return a series, except the few
// dashboardNoSeries explains.
func TestDashboardQueriesReturnSeries(t *testing.T) {
	metricsAddr := freeAddr(t)
	dc := startDesktopCoreOn(t, emptyDatabase(t), `  metrics_listen = "`+metricsAddr+`"`, true)
	prom := startPrometheus(t, metricsAddr)
	s := startSession(t, dc.admin)
	d := openDesktop(t, dc.admin, s.ID)
	awaitProm(t, prom, `atrium_relay_streams_open`, func(v float64) bool { return v == 1 })
	_ = d.Close()
	// A plain GET is no WebSocket upgrade: the relay refuses it.
	resp, err := http.Get("http://" + dc.addr + "/api/v1/sessions/" + s.ID + "/vnc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	awaitProm(t, prom, `sum(atrium_relay_streams_closed_total)`, func(v float64) bool { return v >= 1 })
	awaitProm(t, prom, `sum(atrium_relay_refused_upgrades_total)`, func(v float64) bool { return v >= 1 })
	// Two more scrapes, so every rate has its samples.
	time.Sleep(3 * time.Second)

	for name, q := range dashboardQueries(t) {
		n := promSeries(t, prom, q)
		why, excused := dashboardNoSeries[name]
		switch {
		case n == 0 && excused:
			t.Logf("panel %s: no series (%s)", name, why)
		case n == 0:
			t.Errorf("panel %s: %s returns no series", name, q)
		}
	}
}
