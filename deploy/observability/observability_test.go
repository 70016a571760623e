// Package observability_test checks the Prometheus rules and the Grafana
// dashboard in deploy/observability with the real Prometheus tools.
package observability_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tool finds a Prometheus binary. Outside CI a missing one skips the
// test; CI (CI or ATRIUM_REQUIRE_PROMETHEUS set, as .ci/run does)
// installs Debian's prometheus package, so there it fails.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" || os.Getenv("ATRIUM_REQUIRE_PROMETHEUS") != "" {
			t.Fatalf("%s not found in CI: .ci/run installs Debian's prometheus package", name)
		}
		t.Skipf("%s not installed (apt-get install prometheus); CI runs this test", name)
	}
	return p
}

func TestRulesCheck(t *testing.T) {
	out, err := exec.Command(tool(t, "promtool"), "check", "rules", "alerts.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules alerts.yml: %v\n%s", err, out)
	}
}

func TestRulesUnitTests(t *testing.T) {
	out, err := exec.Command(tool(t, "promtool"), "test", "rules", "alerts_test.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules alerts_test.yml: %v\n%s", err, out)
	}
}

// dashboard is the part of Grafana's dashboard JSON the test reads.
type dashboard struct {
	Inputs []struct{ Name string } `json:"__inputs"`
	Panels []struct {
		Type, Title string
		Datasource  struct{ UID string }
		Targets     []struct{ RefID, Expr string }
	}
}

// queries returns each panel target's PromQL, keyed "panel/refId", with
// Grafana's interval variable replaced the way Grafana would at a 15s
// scrape interval.
func queries(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	if len(d.Inputs) != 1 || d.Inputs[0].Name != "DS_PROMETHEUS" {
		t.Fatalf("dashboard.json: want one input DS_PROMETHEUS, have %+v", d.Inputs)
	}
	qs := map[string]string{}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Datasource.UID != "${DS_PROMETHEUS}" {
			t.Errorf("panel %q: datasource %q, want ${DS_PROMETHEUS}", p.Title, p.Datasource.UID)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			qs[p.Title+"/"+tg.RefID] = strings.ReplaceAll(tg.Expr, "$__rate_interval", "1m")
		}
	}
	return qs
}

// TestDashboardQueriesRun starts a real Prometheus with the rules loaded
// and runs every panel's query: each must parse and evaluate. With no
// core scraped, series only exist once a core serves metrics (see
// test/e2e for that), so here a query's emptiness is logged, not failed.
func TestDashboardQueriesRun(t *testing.T) {
	prom := tool(t, "prometheus")
	qs := queries(t)
	dir := t.TempDir()
	rules, err := filepath.Abs("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("global:\n  evaluation_interval: 1s\nrule_files:\n  - %q\n", rules)), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(prom, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitReady(t, addr, &out)

	for name, q := range qs {
		resp, err := http.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			t.Fatalf("query %s: %v", name, err)
		}
		var r struct {
			Status, Error string
			Data          struct{ Result []json.RawMessage }
		}
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err != nil || r.Status != "success" {
			t.Errorf("panel %s: %q does not run: %v %s", name, q, err, r.Error)
			continue
		}
		if len(r.Data.Result) == 0 {
			t.Logf("panel %s: no series (nothing scraped)", name)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitReady waits for Prometheus' readiness endpoint, which answers once
// the rules have loaded.
func waitReady(t *testing.T, addr string, out *strings.Builder) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("prometheus on %s not ready in 30s:\n%s", addr, out.String())
}
