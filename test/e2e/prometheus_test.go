package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/harness"
)

// startPrometheus runs Debian's prometheus on a loopback port with a
// generated config that scrapes target every second, and returns its
// base URL.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("this test needs Prometheus: apt-get install prometheus (.ci/run installs it)")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: atrium
    static_configs:
      - targets: [%q]
`, target)), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	log, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("prometheus log:\n%s", b)
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus on %s not ready after 30 s: %v", addr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// promValue runs an instant PromQL query and returns the value of its one
// sample; ok is false while the query returns no sample.
func promValue(t *testing.T, base, query string) (float64, bool) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "success" {
		t.Fatalf("query %s: %s", query, body.Error)
	}
	if len(body.Data.Result) == 0 {
		return 0, false
	}
	if len(body.Data.Result) > 1 {
		t.Fatalf("query %s returned %d series; want one", query, len(body.Data.Result))
	}
	s, _ := body.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("query %s: value %q: %v", query, s, err)
	}
	return v, true
}

// awaitProm waits until query returns a sample for which ok holds.
func awaitProm(t *testing.T, base, query string, ok func(float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		v, found := promValue(t, base, query)
		if found && ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("PromQL %s: found %v, value %v after 45 s", query, found, v)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestPrometheusScrapesTheCore runs a real Prometheus against the built
// core's metrics listener while a desktop starts and streams, and checks
// through PromQL that the session is seen running, its start landed in
// the histogram and the relay's bytes rose.
func TestPrometheusScrapesTheCore(t *testing.T) {
	metricsAddr := freeAddr(t)
	dc := startDesktopCoreOn(t, emptyDatabase(t), `  metrics_listen = "`+metricsAddr+`"`, true)
	prom := startPrometheus(t, metricsAddr)
	awaitProm(t, prom, `up{job="atrium"}`, func(v float64) bool { return v == 1 })

	s := startSession(t, dc.admin)
	d := openDesktop(t, dc.admin, s.ID)

	awaitProm(t, prom, `max(atrium_sessions{state="running",template="`+harness.DesktopTemplate+`"})`, func(v float64) bool { return v == 1 })
	awaitProm(t, prom, `sum(atrium_session_start_duration_seconds_count{template="`+harness.DesktopTemplate+`"})`, func(v float64) bool { return v == 1 })
	awaitProm(t, prom, `histogram_quantile(0.5, sum by (le) (atrium_session_start_duration_seconds_bucket))`, func(v float64) bool { return v > 0 })
	awaitProm(t, prom, `atrium_relay_streams_open`, func(v float64) bool { return v == 1 })
	before := awaitProm(t, prom, `atrium_relay_bytes_total{direction="to_browser"}`, func(v float64) bool { return v > 0 })

	// More screen: full updates on the same stream.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 3 {
		if _, err := harness.FirstFramebuffer(ctx, d.Client); err != nil {
			t.Fatal(err)
		}
	}
	awaitProm(t, prom, `atrium_relay_bytes_total{direction="to_browser"}`, func(v float64) bool { return v > before })
	awaitProm(t, prom, `atrium_relay_bytes_total{direction="to_session"}`, func(v float64) bool { return v > 0 })
	awaitProm(t, prom, `sum(atrium_http_request_duration_seconds_count{route="/api/v1/sessions",method="POST",status_class="2xx"})`, func(v float64) bool { return v == 1 })
	awaitProm(t, prom, `sum(atrium_plugin_up)`, func(v float64) bool { return v >= 2 })

	// The public listener serves no metrics.
	resp, err := http.Get("http://" + dc.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), "atrium_relay_bytes_total") {
		t.Errorf("the public listener serves metrics at /metrics (%d)", resp.StatusCode)
	}
}
