package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestFramingOnWire: on every kind of route the core serves — API (also
// the unauthenticated login), web UI, relay, and an app host of the app
// proxy — a request with an ambiguous body length or host gets 400
// problem+json before any handler or proxy sees it, and the connection
// closes, so a request smuggled behind it never runs.
func TestFramingOnWire(t *testing.T) {
	s := serveWorld(t)
	app := uuid.NewString() + ".apps.test"
	routes := []struct{ name, method, target, host string }{
		{"login", "POST", "/api/v1/auth/login", "atrium.test"},
		{"api", "GET", "/api/v1/me", "atrium.test"},
		{"web UI", "GET", "/sessions", "atrium.test"},
		{"relay", "GET", "/api/v1/sessions/" + s.sessB.ID.String() + "/vnc", "atrium.test"},
		{"app proxy", "POST", "/submit", app},
	}
	login := `{"username":"user-b","password":"` + testPassword + `"}`
	for _, r := range routes {
		head := r.method + " " + r.target + " HTTP/1.1\r\nHost: " + r.host + "\r\nContent-Type: application/json\r\nOrigin: http://atrium.test\r\n"
		smuggled := "GET /healthz HTTP/1.1\r\nHost: atrium.test\r\n\r\n"
		chunkedLogin := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(login), login)
		cases := map[string]struct{ raw, typ string }{
			"CL then TE": {head + fmt.Sprintf("Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n", len(chunkedLogin)) + chunkedLogin + smuggled, "bad-framing"},
			"TE then CL": {head + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + smuggled, "bad-framing"},
			// fasthttp's parser refuses this one itself.
			"TE gzip":                     {head + "Transfer-Encoding: gzip\r\n\r\n" + smuggled, "bad-request"},
			"two Host":                    {head + "Host: " + app + "\r\n\r\n" + smuggled, "bad-host"},
			"absolute target, other host": {strings.Replace(head, " "+r.target+" ", " http://elsewhere.test"+r.target+" ", 1) + "\r\n" + smuggled, "bad-host"},
		}
		for name, c := range cases {
			resps, bodies := s.exchange(t, c.raw)
			if len(resps) != 1 {
				t.Errorf("%s, %s: %d responses, want 1 (the smuggled request ran)", r.name, name, len(resps))
				for i := range resps {
					t.Logf("  %d %.200s", resps[i].StatusCode, bodies[i])
				}
				continue
			}
			var p struct{ Type string }
			_ = json.Unmarshal([]byte(bodies[0]), &p)
			if resps[0].StatusCode != http.StatusBadRequest || resps[0].Header.Get("Content-Type") != "application/problem+json" ||
				p.Type != "https://atrium.dev/problems/"+c.typ || !resps[0].Close {
				t.Errorf("%s, %s: %d %v close=%v %s; want 400 %s and close", r.name, name, resps[0].StatusCode, resps[0].Header, resps[0].Close, bodies[0], c.typ)
			}
		}
	}
	// Well-framed requests still pass: absolute form naming the Host, and
	// a chunked body alone.
	if code, body := s.first(t, "GET http://atrium.test/healthz HTTP/1.1\r\nHost: atrium.test\r\n\r\n"); code != http.StatusOK {
		t.Errorf("absolute form, same host: %d %s", code, body)
	}
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(login), login)
	if code, body := s.first(t, loginHead+"Origin: http://atrium.test\r\nTransfer-Encoding: chunked\r\n\r\n"+chunked); code != http.StatusOK {
		t.Errorf("chunked login: %d %s", code, body)
	}
}
