package config

import (
	"bytes"
	"strings"
	"testing"
)

func TestMetricsListenIsOffByDefault(t *testing.T) {
	cfg := mustParse(t, "server {\n  listen = \"127.0.0.1:8080\"\n}\n")
	if cfg.Server.MetricsListen != "" || cfg.Server.MetricsBearerToken != "" {
		t.Errorf("metrics listen %q, token set %v; want neither without the attributes", cfg.Server.MetricsListen, cfg.Server.MetricsBearerToken != "")
	}
}

func TestMetricsSettings(t *testing.T) {
	cfg := mustParse(t, "server {\n  metrics_listen = \"0.0.0.0:9464\"\n  metrics_bearer_token = \"0123456789abcdef0123\\n\"\n}\n")
	if cfg.Server.MetricsListen != "0.0.0.0:9464" {
		t.Errorf("MetricsListen = %q", cfg.Server.MetricsListen)
	}
	if cfg.Server.MetricsBearerToken != "0123456789abcdef0123" {
		t.Errorf("MetricsBearerToken = %q; want the token without its newline", cfg.Server.MetricsBearerToken)
	}
	cfg = mustParse(t, "server {\n  metrics_listen = \"localhost:9464\"\n}\n")
	if cfg.Server.MetricsListen != "localhost:9464" {
		t.Errorf("MetricsListen = %q", cfg.Server.MetricsListen)
	}
}

func TestMetricsErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want wantDiag
	}{
		{"not host:port", "server {\n  metrics_listen = \"9464\"\n}\n", wantDiag{2, "Invalid metrics listen address"}},
		{"bad port", "server {\n  listen = \"127.0.0.1:8080\"\n\n  metrics_listen = \"127.0.0.1:99999\"\n}\n", wantDiag{4, "Invalid metrics listen address"}},
		{"the public port", "server {\n  listen = \"127.0.0.1:8080\"\n  metrics_listen = \"127.0.0.1:8080\"\n}\n", wantDiag{3, "Metrics on the public listener"}},
		{"the public port on every interface", "server {\n  listen = \":8080\"\n  metrics_listen = \"127.0.0.1:8080\"\n}\n", wantDiag{3, "Metrics on the public listener"}},
		{"every interface without a token", "server {\n  metrics_listen = \":9464\"\n}\n", wantDiag{2, "Metrics listener without a token"}},
		{"a public address without a token", "server {\n  metrics_listen = \"192.0.2.1:9464\"\n}\n", wantDiag{2, "Metrics listener without a token"}},
		{"a short token", "server {\n  metrics_listen = \"127.0.0.1:9464\"\n  metrics_bearer_token = \"short\"\n}\n", wantDiag{3, "Invalid metrics bearer token"}},
		{"a token with a space", "server {\n  metrics_listen = \"127.0.0.1:9464\"\n  metrics_bearer_token = \"0123456789 abcdef0123\"\n}\n", wantDiag{3, "Invalid metrics bearer token"}},
		{"a token without a listener", "server {\n  metrics_bearer_token = \"0123456789abcdef0123\"\n}\n", wantDiag{2, "Metrics bearer token without a listener"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkParseErrors(t, tt.src, tt.want)
		})
	}
}

func TestMetricsTokenIsNeverShown(t *testing.T) {
	const secret = "tok en-that-is-long-enough"
	d := checkParseErrors(t, "server {\n  metrics_listen = \"127.0.0.1:9464\"\n  metrics_bearer_token = \""+secret+"\"\n}\n",
		wantDiag{3, "Invalid metrics bearer token"})
	var buf bytes.Buffer
	if err := d.WriteText(&buf, 0, false); err != nil {
		t.Fatal(err)
	}
	if out := buf.String() + d.Error(); strings.Contains(out, "en-that-is") || !strings.Contains(out, "test.hcl:3") {
		t.Errorf("diagnostics show the token or lack the location:\n%s", out)
	}
}
