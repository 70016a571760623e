package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestMalformedRequestNoEcho: a request fasthttp cannot parse gets 400
// problem+json with a fixed detail naming the cause class; nothing of the
// request (its cookie above all) comes back.
func TestMalformedRequestNoEcho(t *testing.T) {
	s := serveWorld(t)
	const secret = "s3cr3t-cookie-value-0123456789"
	cookie := "Cookie: atrium_session=" + secret + "\r\n"
	cases := map[string]string{
		"bad request line":   "GET /api/v1/me?" + secret + " HTTP/9\r\nHost: atrium.test\r\n" + cookie + "\r\n",
		"space in name":      "GET /api/v1/me HTTP/1.1\r\nHost: atrium.test\r\n" + cookie + "Bad Name: x\r\n\r\n",
		"bad Content-Length": "POST /api/v1/auth/login HTTP/1.1\r\nHost: atrium.test\r\n" + cookie + "Content-Length: x" + secret + "\r\n\r\n",
	}
	for name, raw := range cases {
		resps, bodies := s.exchange(t, raw)
		if len(resps) == 0 {
			t.Errorf("%s: no answer", name)
			continue
		}
		var p struct{ Type, Detail, Instance string }
		_ = json.Unmarshal([]byte(bodies[0]), &p)
		if resps[0].StatusCode != http.StatusBadRequest || resps[0].Header.Get("Content-Type") != "application/problem+json" ||
			p.Type != "https://atrium.dev/problems/bad-request" || !strings.HasPrefix(p.Detail, "malformed request line/headers") {
			t.Errorf("%s: %d %s", name, resps[0].StatusCode, bodies[0])
		}
		if strings.Contains(bodies[0], secret) || strings.Contains(bodies[0], "atrium_session") || strings.Contains(bodies[0], "/api/v1") {
			t.Errorf("%s: the answer echoes the request: %s", name, bodies[0])
		}
	}
}
