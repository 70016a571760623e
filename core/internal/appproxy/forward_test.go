package appproxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTargetKeptAndConfined: the request target reaches the app byte for
// byte, encoded characters and traversal attempts included, and whatever
// it says, only the session's own app is dialed.
func TestTargetKeptAndConfined(t *testing.T) {
	w := newWorld(t)
	f := w.front(appDomain)
	cookie := w.openApp(f, w.sessA, w.userA, w.loginA)
	host := strings.TrimPrefix(f.appURL(w.sessA), "http://")
	targets := []string{
		"/a%2Fb/c?q=%20x&y=1;z=%26",
		"/%E2%82%AC/x?%E2%82%AC",
		"/a//b/./c/",
		"/../../etc/passwd",
		"/%2e%2e/%2e%2e/x",
		"/%252e%252e/x",
		"/..%2f..%2fx",
		"/..\\..\\x",
		"/x/..%5c..%5cy",
		"/" + w.sessB.ID.String() + "/../x",
	}
	for _, target := range targets {
		code, body := f.raw(t, "GET "+target+" HTTP/1.1\r\nHost: "+host+"\r\nCookie: "+PlainAppCookie+"="+cookie+"\r\nConnection: close\r\n\r\n")
		if code != 200 || body != "app:"+target {
			t.Errorf("%s: %d %q", target, code, body)
			continue
		}
		if got := w.up.last(t).RequestURI; got != target {
			t.Errorf("sent %q, the app received %q", target, got)
		}
	}
	if n := w.tun.count(w.sessB.ID); n != 0 {
		t.Errorf("B's session was dialed %d times", n)
	}
	// Absolute-form targets could name another host: refused.
	if code, _ := f.raw(t, "GET http://"+w.sessB.ID.String()+".apps.test/ HTTP/1.1\r\nHost: "+host+"\r\nCookie: "+PlainAppCookie+"="+cookie+"\r\nConnection: close\r\n\r\n"); code != 400 {
		t.Errorf("absolute-form target: %d", code)
	}
}

// TestFraming: requests whose body length is ambiguous are refused before
// anything reaches the app, whether fasthttp's parser or the framing
// check the core runs first says no.
func TestFraming(t *testing.T) {
	w := newWorld(t)
	f := w.front(appDomain)
	cookie := w.openApp(f, w.sessA, w.userA, w.loginA)
	host := strings.TrimPrefix(f.appURL(w.sessA), "http://")
	head := "POST /smuggle HTTP/1.1\r\nHost: " + host + "\r\nCookie: " + PlainAppCookie + "=" + cookie + "\r\n"
	cases := map[string]string{
		"TE and CL":             head + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n",
		"CL and TE":             head + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
		"two CL, different":     head + "Content-Length: 4\r\nContent-Length: 40\r\n\r\nabcd",
		"two CL, same":          head + "Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd",
		"CL list":               head + "Content-Length: 4, 4\r\n\r\nabcd",
		"TE gzip, chunked":      head + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
		"TE twice":              head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"bad chunk size":        head + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
		"negative CL":           head + "Content-Length: -1\r\n\r\n",
		"TE with space in name": head + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
	}
	before := len(w.up.requests())
	for name, req := range cases {
		code, body := f.raw(t, req)
		if code != 400 {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
	for _, r := range w.up.requests()[before:] {
		t.Errorf("the app received %s %s", r.Method, r.RequestURI)
	}
	// A well-formed chunked body still passes.
	code, body := f.raw(t, head+"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
	if code != 200 || body != "app:/smuggle" {
		t.Errorf("valid chunked: %d %s", code, body)
	}
}

// TestResponseSanitised: an app's Set-Cookie stays on its host, never
// takes an Atrium name, and hop-by-hop fields do not cross.
func TestResponseSanitised(t *testing.T) {
	w := newWorld(t)
	f := w.front(appDomain)
	cookie := w.openApp(f, w.sessA, w.userA, w.loginA)
	resp, _ := f.do(t, "GET", f.appURL(w.sessA)+"/setcookie", map[string]string{"Cookie": PlainAppCookie + "=" + cookie}, nil)
	got := strings.Join(resp.Header["Set-Cookie"], "\n")
	if !strings.Contains(got, "a=1") || !strings.Contains(got, "b=2") || strings.Contains(strings.ToLower(got), "domain") ||
		strings.Contains(got, "atrium") || !strings.Contains(got, "path=/sub") {
		t.Errorf("Set-Cookie: %s", got)
	}
	if resp.Header.Get("X-Secret") != "" || resp.Header.Get("Location") != "/login" {
		t.Errorf("headers: %v", resp.Header)
	}
	// On its own origin the app's CORS answers are its own business.
	if resp.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Errorf("isolation mode dropped the app's CORS headers: %v", resp.Header)
	}
}

// TestCoreRoutesKeepBodyLimit: streaming is on server-wide, yet the core's
// own routes still get whole bodies up to the limit, and 413 past it.
func TestCoreRoutesKeepBodyLimit(t *testing.T) {
	w := newWorld(t)
	f := w.front(appDomain)
	if resp, body := f.do(t, "POST", f.public+"/api/v1/echo", nil, strings.NewReader(strings.Repeat("x", 60<<10))); resp.StatusCode != 200 || body != fmt.Sprint(60<<10) {
		t.Errorf("small body: %d %s", resp.StatusCode, body)
	}
	// Large bodies go over a raw socket: the server answers 413 and closes
	// before reading them whole, which net/http's client reports as a
	// reset instead of the answer.
	head := "POST /api/v1/echo HTTP/1.1\r\nHost: " + strings.TrimPrefix(f.public, "http://") + "\r\n"
	if code, body := f.raw(t, head+fmt.Sprintf("Content-Length: %d\r\n\r\n", 2<<20)+strings.Repeat("x", 2<<20)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("large body: %d %.100s", code, body)
	}
	// Chunked, so no Content-Length tells in advance.
	chunk := fmt.Sprintf("%x\r\n%s\r\n", 64<<10, strings.Repeat("x", 64<<10))
	if code, body := f.raw(t, head+"Transfer-Encoding: chunked\r\n\r\n"+strings.Repeat(chunk, 32)+"0\r\n\r\n"); code != http.StatusRequestEntityTooLarge {
		t.Errorf("large chunked body: %d %.100s", code, body)
	}
}

// TestStreamingResponse: bytes the app flushes reach the browser before
// the app has finished, chunked or with a Content-Length.
func TestStreamingResponse(t *testing.T) {
	for _, path := range []string{"/trickle", "/trickle?length=1"} {
		t.Run(path, func(t *testing.T) {
			w := newWorld(t)
			f := w.front(appDomain)
			cookie := w.openApp(f, w.sessA, w.userA, w.loginA)
			c, err := net.Dial("tcp", f.addr)
			must(t, err)
			defer c.Close()
			host := strings.TrimPrefix(f.appURL(w.sessA), "http://")
			_, err = fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nCookie: %s=%s\r\n\r\n", path, host, PlainAppCookie, cookie)
			must(t, err)
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			must(t, err)
			first := make([]byte, len("first;"))
			if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first;" {
				t.Fatalf("the first bytes did not arrive while the app held the rest: %q %v", first, err)
			}
			close(w.up.release)
			rest, err := io.ReadAll(resp.Body)
			must(t, err)
			if len(first)+len(rest) != 40000 {
				t.Fatalf("got %d bytes", len(first)+len(rest))
			}
		})
	}
}

// TestStreamingUpload: the app reads the start of an upload while the
// browser has not sent the rest; a proxy that buffered bodies would wait
// for the end and never get there.
func TestStreamingUpload(t *testing.T) {
	for _, known := range []bool{false, true} {
		t.Run(fmt.Sprintf("content-length=%v", known), func(t *testing.T) {
			w := newWorld(t)
			f := w.front(appDomain)
			cookie := w.openApp(f, w.sessA, w.userA, w.loginA)
			const chunk, total = 1 << 20, 8 << 20
			pr, pw := io.Pipe()
			go func() {
				defer pw.Close()
				buf := make([]byte, chunk)
				for sent := 0; sent < total; sent += chunk {
					if _, err := pw.Write(buf); err != nil {
						return
					}
					// Send more only once the app holds what was sent: the
					// body is in flight end to end, never whole anywhere.
					deadline := time.After(5 * time.Second)
					for got := int64(0); got < int64(sent+chunk)-256<<10; {
						select {
						case got = <-w.up.uploaded:
						case <-deadline:
							pw.CloseWithError(fmt.Errorf("the app had not received %d bytes after 5 s: the proxy buffers uploads", sent+chunk))
							return
						}
					}
				}
			}()
			req, err := http.NewRequest("POST", f.appURL(w.sessA)+"/upload", pr)
			must(t, err)
			if known {
				req.ContentLength = total
			}
			req.Header.Set("Cookie", PlainAppCookie+"="+cookie)
			resp, err := f.client.Do(req)
			must(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != fmt.Sprint(total) {
				t.Fatalf("upload: %d %s", resp.StatusCode, body)
			}
		})
	}
}
