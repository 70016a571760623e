package framing

import (
	"bufio"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestCheck: the header blocks fasthttp accepts but two parsers could
// read differently are refused with their type; ordinary ones pass.
func TestCheck(t *testing.T) {
	cases := map[string]string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n":                                                              "",
		"GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n":                                                     "",
		"GET HTTP://A:80/x?y HTTP/1.1\r\nHost: a:80\r\n\r\n":                                             "",
		"GET /x://y HTTP/1.1\r\nHost: a\r\n\r\n":                                                         "",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n":                               "",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n":                                        "",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n":          "bad-framing",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n":          "bad-framing",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n": "bad-framing",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n":                                                   "bad-host",
		"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n":                                                   "bad-host",
		"GET http://b/x HTTP/1.1\r\nHost: a\r\n\r\n":                                                     "bad-host",
		"GET https://a@b/ HTTP/1.1\r\nHost: b\r\n\r\n":                                                   "bad-host",
	}
	for raw, want := range cases {
		var h fasthttp.RequestHeader
		if err := h.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
			t.Errorf("%q does not parse: %v", raw, err)
			continue
		}
		got := ""
		if p := Check(&h); p != nil {
			got = strings.TrimPrefix(p.Type, "https://atrium.dev/problems/")
			if p.Status != 400 {
				t.Errorf("%q: status %d", raw, p.Status)
			}
		}
		if got != want {
			t.Errorf("%q: %q, want %q", raw, got, want)
		}
	}
}
