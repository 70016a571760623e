package appproxy

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/session"
)

// TestUpstreamAuth: the workspace's upstream credential reaches the app on
// every request and WebSocket handshake, whatever the client sends under
// that name; each session presents its own; it is fetched once per
// instance, again after the session stops, and never cached when the
// fetch fails.
func TestUpstreamAuth(t *testing.T) {
	w := newWorld(t)
	f := w.front(appDomain)
	a, b := w.sessA.ID, w.sessB.ID
	w.tun.setUpstream(a, session.AppUpstream{AuthHeader: "Authorization", AuthValue: "token secret-a"}, nil)
	w.tun.setUpstream(b, session.AppUpstream{AuthHeader: "X-App-Token", AuthValue: "secret-b"}, nil)
	cookieA := w.openApp(f, w.sessA, w.userA, w.loginA)
	cookieB := w.openApp(f, w.sessB, w.userB, w.loginB)
	hostA := strings.TrimPrefix(f.appURL(w.sessA), "http://")
	hostB := strings.TrimPrefix(f.appURL(w.sessB), "http://")

	for range 5 {
		resp, _ := f.do(t, "GET", f.appURL(w.sessA)+"/x", map[string]string{
			"Cookie": PlainAppCookie + "=" + cookieA, "Authorization": "token forged"}, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("A: %d", resp.StatusCode)
		}
		if got := w.up.last(t).Header["Authorization"]; len(got) != 1 || got[0] != "token secret-a" {
			t.Fatalf("A's app received Authorization %q, want only the session's own", got)
		}
	}
	if n := w.tun.askedFor(a); n != 1 {
		t.Errorf("AppUpstream asked %d times for five requests, want once per instance", n)
	}

	// Another header name, sent by the client in other spellings: only
	// the proxy's value reaches the app.
	code, body := f.raw(t, "POST /y HTTP/1.1\r\nHost: "+hostB+"\r\nCookie: "+PlainAppCookie+"="+cookieB+
		"\r\nx-app-token: forged\r\nX-APP-TOKEN: forged2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	if code != 200 {
		t.Fatalf("B: %d %s", code, body)
	}
	if got := w.up.last(t).Header["X-App-Token"]; len(got) != 1 || got[0] != "secret-b" {
		t.Errorf("B's app received X-App-Token %q, want only the session's own", got)
	}
	if got := w.up.last(t).Header["Authorization"]; got != nil {
		t.Errorf("B's app received A's header: %q", got)
	}

	// The WebSocket handshake carries it too, over the client's copy.
	ws, resp, err := f.dialWSHeader(t, "ws://"+hostA+"/ws", http.Header{"Origin": {f.appURL(w.sessA)},
		"Cookie": {PlainAppCookie + "=" + cookieA}, "Authorization": {"token forged"}})
	if err != nil {
		t.Fatalf("websocket: %v %v", err, resp)
	}
	_ = ws.Close()
	if got := w.up.last(t).Header["Authorization"]; len(got) != 1 || got[0] != "token secret-a" {
		t.Errorf("A's app received Authorization %q on the WebSocket handshake", got)
	}

	// Leaving the running state forgets it; the next request asks again.
	f.p.CloseSession(a.String())
	f.do(t, "GET", f.appURL(w.sessA)+"/x", map[string]string{"Cookie": PlainAppCookie + "=" + cookieA}, nil)
	if n := w.tun.askedFor(a); n != 2 {
		t.Errorf("after CloseSession AppUpstream was asked %d times in all, want 2", n)
	}

	// A failed fetch refuses the request before it reaches the app, and
	// is retried on the next one.
	f.p.CloseSession(a.String())
	w.tun.setUpstream(a, session.AppUpstream{AuthHeader: "Authorization", AuthValue: "token secret-a"}, errors.New("plugin down"))
	before := len(w.up.requests())
	resp, body = f.do(t, "GET", f.appURL(w.sessA)+"/x", map[string]string{"Cookie": PlainAppCookie + "=" + cookieA}, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "app-unavailable") {
		t.Errorf("with AppUpstream failing: %d %s", resp.StatusCode, body)
	}
	if len(w.up.requests()) != before {
		t.Error("the request reached the app without its credential")
	}
	w.tun.setUpstream(a, session.AppUpstream{AuthHeader: "Authorization", AuthValue: "token secret-a"}, nil)
	if resp, _ := f.do(t, "GET", f.appURL(w.sessA)+"/x", map[string]string{"Cookie": PlainAppCookie + "=" + cookieA}, nil); resp.StatusCode != 200 {
		t.Errorf("after the fetch recovered: %d", resp.StatusCode)
	}
}

// TestPathModeKeepBasePath: an app that routes by its base path gets
// /apps/{session}/… whole, HTTP and WebSocket, and its own cookie paths
// and redirects, already under the prefix, are not prefixed again.
func TestPathModeKeepBasePath(t *testing.T) {
	w := newWorld(t)
	f := w.front("")
	a := w.sessA.ID.String()
	w.tun.setUpstream(w.sessA.ID, session.AppUpstream{KeepBasePath: true, AuthHeader: "Authorization", AuthValue: "token t"}, nil)
	core := map[string]string{"Cookie": "atrium_session=" + w.loginA.token}

	resp, body := f.do(t, "GET", f.public+"/apps/"+a+"/x%2Fy?q=1", core, nil)
	if resp.StatusCode != 200 || body != "app:/apps/"+a+"/x%2Fy?q=1" {
		t.Fatalf("own app: %d %s", resp.StatusCode, body)
	}
	if up := w.up.last(t); up.Header.Get("Authorization") != "token t" || up.Header.Get("X-Forwarded-Prefix") != "/apps/"+a {
		t.Errorf("upstream headers: %v", up.Header)
	}

	resp, _ = f.do(t, "GET", f.public+"/apps/"+a+"/basecookie", core, nil)
	if got := resp.Header.Get("Set-Cookie"); got != "c=3; path=/apps/"+a+"/" {
		t.Errorf("Set-Cookie %q, want the app's own path under its prefix, once", got)
	}
	if got := resp.Header.Get("Location"); got != "/apps/"+a+"/tree" {
		t.Errorf("Location %q, want the app's own, once", got)
	}

	ws, resp, err := f.dialWSHeader(t, strings.Replace(f.public, "http://", "ws://", 1)+"/apps/"+a+"/ws",
		http.Header{"Origin": {f.public}, "Cookie": {core["Cookie"]}})
	if err != nil {
		t.Fatalf("websocket: %v %v", err, resp)
	}
	defer ws.Close()
	must(t, ws.WriteMessage(1, []byte("hi")))
	if _, got, err := ws.ReadMessage(); err != nil || string(got) != "hi" {
		t.Fatalf("echo: %q %v", got, err)
	}
	if up := w.up.last(t); up.RequestURI != "/apps/"+a+"/ws" || up.Header.Get("Authorization") != "token t" {
		t.Errorf("WebSocket upstream: %s %v", up.RequestURI, up.Header)
	}
}
