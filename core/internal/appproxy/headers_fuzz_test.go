package appproxy

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// FuzzCopyResponseHeader: whatever response head an app sends, what the
// proxy passes on in path mode carries no hop-by-hop field, no CORS or
// service-worker grant, no cookie with a Domain, outside the app's prefix
// or named like Atrium's, and no redirect to a path outside the prefix.
func FuzzCopyResponseHeader(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 302 Found\r\nLocation: /login\r\nSet-Cookie: a=1; Domain=x; Path=/\r\n\r\n",
		"HTTP/1.1 200 OK\r\nConnection: X-Secret\r\nX-Secret: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nSet-Cookie: atrium_session=evil\r\nAccess-Control-Allow-Origin: *\r\n\r\n",
		"HTTP/1.1 301 Moved\r\nLocation: //evil\r\nSet-Cookie: b=2; path=/apps/prefix\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	p := &Proxy{atrium: map[string]bool{"atrium_session": true, "atrium_app": true, "__host-atrium_app": true}}
	const prefix = "/apps/prefix"
	f.Fuzz(func(t *testing.T, in []byte) {
		var up fasthttp.ResponseHeader
		if err := up.Read(bufio.NewReader(bytes.NewReader(in))); err != nil {
			return
		}
		var dst fasthttp.ResponseHeader
		p.copyResponseHeader(&up, &dst, prefix)
		dst.VisitAll(func(k, v []byte) {
			name := strings.ToLower(string(k))
			if hopByHop[name] || pathModeResponseStrip[name] {
				t.Fatalf("passed %s: %q", k, v)
			}
			if name == "location" && len(v) > 0 && v[0] == '/' && !bytes.HasPrefix(v, []byte("//")) && !bytes.HasPrefix(v, []byte("/\\")) && !underPrefix(v, prefix) {
				t.Fatalf("redirect outside the prefix: %q", v)
			}
		})
		dst.VisitAllCookie(func(k, v []byte) {
			c := fasthttp.AcquireCookie()
			defer fasthttp.ReleaseCookie(c)
			if err := c.ParseBytes(v); err != nil {
				t.Fatalf("passed an unparsable cookie %q", v)
			}
			if len(c.Domain()) > 0 || p.atrium[strings.ToLower(string(c.Key()))] || !underPrefix(c.Path(), prefix) {
				t.Fatalf("passed cookie %q", v)
			}
		})
	})
}
