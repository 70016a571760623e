package session

import (
	"context"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/atrium-hq/atrium/core/internal/metrics"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// TestMetricLabelsStayBounded runs 50 real sessions through start, run
// and stop (and some through a failing start) with metrics on, then walks
// everything the registry exports: no label value may be a session id, a
// user's id or name, or an address, and the number of series must not
// grow with the number of sessions.
func TestMetricLabelsStayBounded(t *testing.T) {
	e := newEnv(t)
	reg := metrics.New()
	reg.CountSessions(func(ctx context.Context) ([]metrics.SessionCount, error) {
		rows, err := e.st.CountSessions(ctx)
		out := make([]metrics.SessionCount, 0, len(rows))
		for _, r := range rows {
			out = append(out, metrics.SessionCount{State: string(r.State), Template: r.Template, Runtime: r.Runtime, N: r.N})
		}
		return out, err
	}, 0)
	m, _ := e.manager(func(o *Options) { o.Metrics = reg.Sessions() })
	ctx := context.Background()

	forbidden := map[string]bool{}
	for _, u := range []store.User{e.alice, e.bob} {
		forbidden[u.ID.String()] = true
		forbidden[u.Username] = true
	}
	forbidden[e.org.ID.String()] = true
	var seriesAfterFirst int
	for wave := range 5 {
		var started []store.Session
		for i := range 10 {
			sc, u := e.scAlice, e.alice
			if i%2 == 1 {
				sc, u = e.scBob, e.bob
			}
			tpl := "echo"
			if i == 9 {
				tpl = "crash"
			}
			s, err := m.Create(ctx, sc, CreateRequest{OrgID: e.org.ID, UserID: u.ID, Template: tpl})
			must(t, err)
			forbidden[s.ID.String()] = true
			started = append(started, s)
		}
		for _, s := range started {
			if s.Template == "crash" {
				e.waitState(s, store.StateFailed)
				continue
			}
			cur := e.waitState(s, store.StateRunning)
			for _, a := range cur.Addresses {
				forbidden[a] = true
			}
			_, err := m.Stop(ctx, e.scAdmin, s.ID)
			must(t, err)
		}
		for _, s := range started {
			if s.Template != "crash" {
				e.waitState(s, store.StateStopped)
			}
		}
		n := walkSeries(t, reg, forbidden)
		if wave == 0 {
			seriesAfterFirst = n
		} else if n != seriesAfterFirst {
			t.Errorf("after wave %d: %d series, after the first %d: the label sets grow with the sessions", wave+1, n, seriesAfterFirst)
		}
	}
	if seriesAfterFirst == 0 || seriesAfterFirst > 200 {
		t.Errorf("%d atrium_ series for 2 templates and 1 runtime; want a few dozen", seriesAfterFirst)
	}
	// The metrics saw what happened.
	mf := families(t, reg)
	if got := sum(mf["atrium_session_starts_total"]); got != 50 {
		t.Errorf("atrium_session_starts_total = %v, want 50", got)
	}
	if got := sum(mf["atrium_session_failures_total"]); got != 5 {
		t.Errorf("atrium_session_failures_total = %v, want 5 (the crash template's)", got)
	}
	var starts uint64
	for _, mm := range mf["atrium_session_start_duration_seconds"].GetMetric() {
		starts += mm.GetHistogram().GetSampleCount()
	}
	if starts != 45 {
		t.Errorf("start duration histogram holds %d starts, want 45", starts)
	}
}

// families gathers the registry by name.
func families(t *testing.T, reg *metrics.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := reg.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// walkSeries checks every label value of the atrium_ families against
// forbidden and returns how many series they hold.
func walkSeries(t *testing.T, reg *metrics.Registry, forbidden map[string]bool) int {
	t.Helper()
	n := 0
	for name, f := range families(t, reg) {
		if !strings.HasPrefix(name, "atrium_") {
			continue
		}
		for _, mm := range f.GetMetric() {
			n++
			for _, l := range mm.GetLabel() {
				v := l.GetValue()
				if forbidden[v] || strings.Contains(v, "127.0.0.1") || len(v) >= 36 {
					t.Errorf("%s{%s=%q}: a label carries a session, user or address", name, l.GetName(), v)
				}
			}
		}
	}
	return n
}

// sum adds a counter family's values.
func sum(f *dto.MetricFamily) float64 {
	var s float64
	for _, mm := range f.GetMetric() {
		s += mm.GetCounter().GetValue()
	}
	return s
}
