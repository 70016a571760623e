package appproxy

import (
	"net/http"
	"strings"
	"testing"
)

// TestPathMode: /apps/{session}/… on the core's origin, with the core's
// cookie, prefix stripped; the session comes from the raw target, so
// traversal in it never reaches another session; cookies and redirects
// stay under the prefix; CORS and service-worker grants are dropped.
func TestPathMode(t *testing.T) {
	w := newWorld(t)
	f := w.front("")
	coreA := "atrium_session=" + w.loginA.token
	a, b := w.sessA.ID.String(), w.sessB.ID.String()
	raw := func(target, cookie string) (int, string) {
		return f.raw(t, "GET "+target+" HTTP/1.1\r\nHost: atrium.test\r\nCookie: "+cookie+"\r\nConnection: close\r\n\r\n")
	}
	if code, body := raw("/apps/"+a+"/x%2Fy?q=1", coreA+"; theme=dark"); code != 200 || body != "app:/x%2Fy?q=1" {
		t.Fatalf("own app: %d %s", code, body)
	}
	if up := w.up.last(t); up.Header.Get("Cookie") != "theme=dark" || up.Header.Get("X-Forwarded-Prefix") != "/apps/"+a {
		t.Errorf("upstream headers: %v", up.Header)
	}
	if code, body := raw("/apps/"+a+"/../"+b+"/x", coreA); code != 200 || body != "app:/../"+b+"/x" {
		t.Errorf("traversal toward B: %d %s", code, body)
	}
	for _, target := range []string{"/apps/" + b + "/x", "/apps/" + strings.ToUpper(a) + "/x", "/apps/x/../" + a + "/", "/apps/" + a + "x/"} {
		if code, _ := raw(target, coreA); code != http.StatusNotFound {
			t.Errorf("%s: %d", target, code)
		}
	}
	if code, _ := raw("/apps/"+a+"/", "theme=dark"); code != http.StatusUnauthorized {
		t.Errorf("no core cookie: %d", code)
	}
	if n := w.tun.count(w.sessB.ID); n != 0 {
		t.Errorf("B's session was dialed %d times", n)
	}
	resp, _ := f.do(t, "GET", f.public+"/apps/"+a+"/setcookie", map[string]string{"Cookie": coreA}, nil)
	got := strings.Join(resp.Header["Set-Cookie"], "\n")
	if !strings.Contains(got, "a=1; path=/apps/"+a+"/") || !strings.Contains(got, "b=2; path=/apps/"+a+"/sub") ||
		strings.Contains(strings.ToLower(got), "domain") || strings.Contains(got, "atrium") {
		t.Errorf("Set-Cookie: %s", got)
	}
	if resp.Header.Get("Location") != "/apps/"+a+"/login" || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("headers: %v", resp.Header)
	}
	if resp, _ := f.do(t, "GET", f.public+"/apps/"+a, map[string]string{"Cookie": coreA}, nil); resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != "/apps/"+a+"/" {
		t.Errorf("prefix without slash: %d %v", resp.StatusCode, resp.Header)
	}
	// The core's routes still answer on the same origin.
	if resp, body := f.do(t, "GET", f.public+"/api/v1/me", nil, nil); resp.StatusCode != 200 || body != "core" {
		t.Errorf("core route: %d %s", resp.StatusCode, body)
	}
}
