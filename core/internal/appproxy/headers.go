package appproxy

import (
	"bytes"
	"strings"

	"github.com/valyala/fasthttp"
)

// hopByHop are the connection-specific fields of RFC 9110 §7.6.1, plus
// the pre-standard ones proxies still meet. They describe one hop, so they
// never cross the proxy; the proxy frames each side itself.
var hopByHop = map[string]bool{
	"connection":          true,
	"keep-alive":          true,
	"proxy-connection":    true,
	"te":                  true,
	"trailer":             true,
	"transfer-encoding":   true,
	"upgrade":             true,
	"proxy-authenticate":  true,
	"proxy-authorization": true,
}

// requestStrip are request fields the proxy never forwards: Atrium's own
// credentials, framing it recomputes, and client claims about the path to
// the app that only the proxy may make.
var requestStrip = map[string]bool{
	"authorization":  true,
	"x-csrf-token":   true,
	"cookie":         true, // forwarded one by one, without Atrium's
	"host":           true, // set from the request's Host
	"content-length": true, // set from the body
	"forwarded":      true,
	"x-real-ip":      true,
}

// pathModeResponseStrip are response fields that, on the core's own origin
// (path mode), would reach past the app into the core: CORS grants, a
// service worker scope wider than the app's prefix, wiping the core's
// cookies and storage, and HSTS policy for the core's host.
var pathModeResponseStrip = map[string]bool{
	"access-control-allow-origin":      true,
	"access-control-allow-credentials": true,
	"access-control-allow-methods":     true,
	"access-control-allow-headers":     true,
	"access-control-expose-headers":    true,
	"access-control-max-age":           true,
	"service-worker-allowed":           true,
	"clear-site-data":                  true,
	"strict-transport-security":        true,
}

// connectionTokens returns the field names a Connection header lists,
// lower-case; they are hop-by-hop too.
func connectionTokens(values [][]byte) map[string]bool {
	var m map[string]bool
	for _, v := range values {
		for t := range strings.SplitSeq(string(v), ",") {
			if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
				if m == nil {
					m = map[string]bool{}
				}
				m[t] = true
			}
		}
	}
	return m
}

// endToEndRequest calls add for every request field that goes upstream,
// as the client sent it. Cookies are left to appCookies.
func endToEndRequest(h *fasthttp.RequestHeader, add func(k, v []byte)) {
	conn := connectionTokens(h.PeekAll(fasthttp.HeaderConnection))
	h.VisitAll(func(k, v []byte) {
		name := strings.ToLower(string(k))
		if hopByHop[name] || requestStrip[name] || conn[name] ||
			strings.HasPrefix(name, "proxy-") || strings.HasPrefix(name, "x-forwarded-") {
			return
		}
		add(k, v)
	})
}

// appCookies calls add for every request cookie but Atrium's own.
func (p *Proxy) appCookies(h *fasthttp.RequestHeader, add func(k, v []byte)) {
	h.VisitAllCookie(func(k, v []byte) {
		if p.atrium[strings.ToLower(string(k))] {
			return
		}
		add(k, v)
	})
}

// copyResponseHeader copies an upstream response's status and end-to-end
// fields to dst, sanitised: hop-by-hop fields dropped, Set-Cookie confined
// to the app (host-only; in path mode, under its prefix) and never one of
// Atrium's names, and in path mode nothing that reaches past the app.
func (p *Proxy) copyResponseHeader(up, dst *fasthttp.ResponseHeader, prefix string) {
	dst.SetNoDefaultContentType(true)
	dst.SetStatusCode(up.StatusCode())
	conn := connectionTokens(up.PeekAll(fasthttp.HeaderConnection))
	up.VisitAll(func(k, v []byte) {
		name := strings.ToLower(string(k))
		switch {
		case hopByHop[name] || conn[name] || strings.HasPrefix(name, "proxy-"):
			return
		case name == "content-length" || name == "date" || name == "set-cookie":
			return
		case prefix != "" && pathModeResponseStrip[name]:
			return
		case prefix != "" && name == "location":
			v = prefixLocation(v, prefix)
		}
		dst.AddBytesKV(k, v)
	})
	up.VisitAllCookie(func(_, v []byte) {
		if sc, ok := p.confineCookie(v, prefix); ok {
			dst.Add(fasthttp.HeaderSetCookie, sc)
		}
	})
}

// confineCookie rewrites one upstream Set-Cookie so it can only ever come
// back to this app: no Domain (host-only), and in path mode a Path inside
// the app's prefix. Cookies named like Atrium's are dropped: an app must
// not overwrite, or make the browser shadow, the core's or its own
// app-session cookie.
func (p *Proxy) confineCookie(raw []byte, prefix string) (string, bool) {
	ck := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(ck)
	if err := ck.ParseBytes(raw); err != nil || len(ck.Key()) == 0 {
		return "", false
	}
	if p.atrium[strings.ToLower(string(ck.Key()))] {
		return "", false
	}
	ck.SetDomain("")
	if prefix != "" {
		path := ck.Path()
		if len(path) == 0 || path[0] != '/' {
			path = []byte("/")
		}
		ck.SetPathBytes(append([]byte(prefix), path...))
	}
	return ck.String(), true
}

// prefixLocation puts an app's absolute-path redirect back under its
// prefix in path mode; other forms are left alone.
func prefixLocation(v []byte, prefix string) []byte {
	if len(v) > 0 && v[0] == '/' && !bytes.HasPrefix(v, []byte("//")) && !bytes.HasPrefix(v, []byte("/\\")) {
		return append([]byte(prefix), v...)
	}
	return v
}
