package framing

import (
	"bufio"
	"bytes"
	"net/textproto"
	"testing"

	"github.com/valyala/fasthttp"
)

// FuzzCheck: for any request head fasthttp parses, Check never passes one
// with both Content-Length and Transfer-Encoding, several of either, or
// several Host fields, as a second, independent parser (net/textproto)
// reads the same header block.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n",
		"GET http://b/ HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var h fasthttp.RequestHeader
		if err := h.Read(bufio.NewReader(bytes.NewReader(in))); err != nil {
			return
		}
		p := Check(&h)
		raw := append(append([]byte(nil), h.RawHeaders()...), "\r\n"...)
		m, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
		if err != nil || p != nil {
			return
		}
		cl, te, host := len(m["Content-Length"]), len(m["Transfer-Encoding"]), len(m["Host"])
		if cl+te > 1 || host > 1 {
			t.Fatalf("passed a head with %d Content-Length, %d Transfer-Encoding, %d Host: %q", cl, te, host, in)
		}
	})
}
