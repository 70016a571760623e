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

// responseRecomputed are response fields the proxy's server writes itself
// (Content-Length, Date) or copies one by one once confined (Set-Cookie).
var responseRecomputed = map[string]bool{"content-length": true, "date": true, "set-cookie": true}

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
// lower-case; they are hop-by-hop too. The usual ones ("keep-alive",
// "close", "upgrade") are hop-by-hop anyway and left out, so a browser's
// every request does not pay for a map.
func connectionTokens(values [][]byte) map[string]bool {
	var m map[string]bool
	var buf [64]byte
	for _, v := range values {
		for t := range bytes.SplitSeq(v, []byte(",")) {
			t = lowerASCII(buf[:0], bytes.TrimSpace(t))
			if len(t) == 0 || hopByHop[string(t)] {
				continue
			}
			if m == nil {
				m = map[string]bool{}
			}
			m[string(t)] = true
		}
	}
	return m
}

// lowerASCII appends name, lower-cased, to dst. Header and cookie names
// are ASCII; with dst on the caller's stack, the lookups the proxy makes
// for every field of every request allocate nothing.
func lowerASCII(dst, name []byte) []byte {
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

var (
	proxyPrefix     = []byte("proxy-")
	forwardedPrefix = []byte("x-forwarded-")
)

// endToEndRequest calls add for every request field that goes upstream,
// as the client sent it. Cookies are left to appCookies.
func endToEndRequest(h *fasthttp.RequestHeader, add func(k, v []byte)) {
	conn := connectionTokens(h.PeekAll(fasthttp.HeaderConnection))
	var buf [64]byte
	h.VisitAll(func(k, v []byte) {
		name := lowerASCII(buf[:0], k)
		if hopByHop[string(name)] || requestStrip[string(name)] || conn[string(name)] ||
			bytes.HasPrefix(name, proxyPrefix) || bytes.HasPrefix(name, forwardedPrefix) {
			return
		}
		add(k, v)
	})
}

// appCookies calls add for every request cookie but Atrium's own.
func (p *Proxy) appCookies(h *fasthttp.RequestHeader, add func(k, v []byte)) {
	var buf [64]byte
	h.VisitAllCookie(func(k, v []byte) {
		if p.atrium[string(lowerASCII(buf[:0], k))] {
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
	var buf [64]byte
	up.VisitAll(func(k, v []byte) {
		name := lowerASCII(buf[:0], k)
		switch {
		case hopByHop[string(name)] || conn[string(name)] || bytes.HasPrefix(name, proxyPrefix):
			return
		case responseRecomputed[string(name)]:
			return
		case prefix != "" && pathModeResponseStrip[string(name)]:
			return
		case prefix != "" && string(name) == "location":
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
		if !underPrefix(path, prefix) {
			ck.SetPathBytes(append([]byte(prefix), path...))
		}
	}
	return ck.String(), true
}

// prefixLocation puts an app's absolute-path redirect back under its
// prefix in path mode; other forms, and paths already under the prefix,
// are left alone.
func prefixLocation(v []byte, prefix string) []byte {
	if len(v) > 0 && v[0] == '/' && !bytes.HasPrefix(v, []byte("//")) && !bytes.HasPrefix(v, []byte("/\\")) && !underPrefix(v, prefix) {
		return append([]byte(prefix), v...)
	}
	return v
}

// underPrefix reports whether an app's path (a redirect, a cookie's Path)
// already lies under the path-mode prefix /apps/{session}. An app told its
// base path (workspace.DescribeResponse.KeepBasePath: Jupyter) answers in
// the browser's paths, which must not be prefixed a second time; they stay
// confined to the app either way.
func underPrefix(path []byte, prefix string) bool {
	if len(path) < len(prefix) || string(path[:len(prefix)]) != prefix {
		return false
	}
	if len(path) == len(prefix) {
		return true
	}
	switch path[len(prefix)] {
	case '/', '?', '#':
		return true
	}
	return false
}
