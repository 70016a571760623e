package appproxy

import (
	"net/http"
	"strings"
	"testing"
)

// TestCrossOriginWritesRefused: a state-changing request a browser sends
// from another origin — another site, a sibling app's host, an opaque
// origin — is refused before it reaches the app, on app hosts and in path
// mode; the app's own pages, safe methods and non-browser clients pass.
func TestCrossOriginWritesRefused(t *testing.T) {
	w := newWorld(t)
	iso, path := w.front(appDomain), w.front("")
	cookieA := w.openApp(iso, w.sessA, w.userA, w.loginA)
	a := w.sessA.ID.String()

	for _, mode := range []struct {
		name, url, own string
		cookie         string
	}{
		{"app host", iso.appURL(w.sessA) + "/x", iso.appURL(w.sessA), PlainAppCookie + "=" + cookieA},
		{"path mode", path.public + "/apps/" + a + "/x", path.public, "atrium_session=" + w.loginA.token},
	} {
		f := iso
		if mode.name == "path mode" {
			f = path
		}
		for _, c := range []struct {
			method string
			header map[string]string
			want   int
		}{
			{"POST", map[string]string{"Origin": mode.own}, 200},
			{"POST", map[string]string{"Origin": mode.own, "Sec-Fetch-Site": "same-origin"}, 200},
			{"POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
			{"POST", map[string]string{"Sec-Fetch-Site": "none"}, 200},
			{"POST", nil, 200}, // a script, not a browser
			{"GET", map[string]string{"Origin": "http://evil.test", "Sec-Fetch-Site": "cross-site"}, 200},
			{"HEAD", map[string]string{"Origin": "http://evil.test"}, 200},
			{"OPTIONS", map[string]string{"Origin": "http://evil.test"}, 200},
			{"POST", map[string]string{"Origin": "http://evil.test"}, 403},
			{"PUT", map[string]string{"Origin": "http://evil.test"}, 403},
			{"PATCH", map[string]string{"Origin": "http://evil.test"}, 403},
			{"DELETE", map[string]string{"Origin": "http://evil.test"}, 403},
			{"POST", map[string]string{"Origin": iso.appURL(w.sessB)}, 403}, // a sibling app: same site
			{"POST", map[string]string{"Origin": "null"}, 403},
			{"POST", map[string]string{"Origin": strings.ToUpper(mode.own)}, 403},
			{"POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
			{"POST", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		} {
			h := map[string]string{"Cookie": mode.cookie}
			for k, v := range c.header {
				h[k] = v
			}
			before := len(w.up.requests())
			resp, body := f.do(t, c.method, mode.url, h, strings.NewReader("x=1"))
			reached := len(w.up.requests()) > before
			switch {
			case resp.StatusCode != c.want:
				t.Errorf("%s: %s with %v: %d %s, want %d", mode.name, c.method, c.header, resp.StatusCode, body, c.want)
			case c.want == http.StatusForbidden && (reached || !strings.Contains(body, "cross-origin")):
				t.Errorf("%s: %s with %v: reached the app %v, body %s", mode.name, c.method, c.header, reached, body)
			}
		}
	}
}
