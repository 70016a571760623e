package appproxy

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// hostileApp is a real TCP listener standing in for a session's app that
// answers every connection with serve; it records nothing and closes its
// connections when the test ends.
type hostileApp struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newHostileApp(t *testing.T, serve func(net.Conn)) *hostileApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	h := &hostileApp{ln: ln}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
			h.wg.Add(1)
			go func() {
				defer h.wg.Done()
				// Read the request first, as an app would, so the proxy's
				// write never meets a reset.
				_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				serve(c)
			}()
		}
	}()
	return h
}

// close stops the app and waits for its goroutines.
func (h *hostileApp) close() {
	_ = h.ln.Close()
	h.mu.Lock()
	for _, c := range h.conns {
		_ = c.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// writeFor writes chunk to c over and over until the write fails or d
// passes: an app that never stops talking.
func writeFor(c net.Conn, chunk string, d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := io.WriteString(c, chunk); err != nil {
			return
		}
	}
}

// TestHostileUpstreams: whatever a session's app sends back (headers
// without end, one header too large, bytes that are not HTTP, nothing at
// all, or a hang-up), the client gets the one constant 502 problem within
// a bounded time, nothing of the app's bytes, and the proxy stays healthy:
// the next request to a sane app works and no goroutine is left behind.
// A body without end is passed on as a stream (it is a legitimate event
// stream until it stalls), so that case is bounded by the client: it is
// shown that the proxy follows the client's hang-up and frees the
// upstream connection.
func TestHostileUpstreams(t *testing.T) {
	w := newWorld(t)
	const idle = 700 * time.Millisecond
	f := w.frontWith(appDomain, func(o *Options) { o.StreamIdleTimeout = idle })
	cookie := w.openApp(f, w.sessA, w.userA, w.loginA)
	host := strings.TrimPrefix(f.appURL(w.sessA), "http://")
	get := func(path string) (int, string) {
		return f.raw(t, "GET "+path+" HTTP/1.1\r\nHost: "+host+"\r\nCookie: "+PlainAppCookie+"="+cookie+"\r\nConnection: close\r\n\r\n")
	}
	sane := w.up.srv.Listener.Addr().String()
	if code, body := get("/warm"); code != 200 {
		t.Fatalf("sane app before: %d %s", code, body)
	}
	// Everything running now (the store, the front, the sane app, pooled
	// connections' cleaners) is the baseline; what a hostile app starts
	// must be gone by the end of each case.
	// fasthttp's server keeps idle workers for a while by design.
	baseline := []goleak.Option{goleak.IgnoreCurrent(), goleak.IgnoreTopFunction("github.com/valyala/fasthttp.(*workerPool).workerFunc"),
		// A HostClient's cleaner outlives its last connection by up to
		// MaxIdleConnDuration, then ends.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner")}
	// lead sends the session's next connections to addr, dropping the
	// pooled ones to the previous app.
	lead := func(addr string) {
		w.tun.leadTo(addr)
		f.p.CloseSession(w.sessA.ID.String())
	}

	cases := []struct {
		name  string
		serve func(net.Conn)
	}{
		{"endless headers", func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			writeFor(c, "X-More: "+strings.Repeat("a", 100)+"\r\n", 5*time.Second)
		}},
		{"oversized header", func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("b", 1<<20)+"\r\nContent-Length: 0\r\n\r\n")
		}},
		{"not HTTP", func(c net.Conn) {
			_, _ = io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02garbage\r\n\r\n")
		}},
		{"bad status line", func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 abc Nope\r\nContent-Length: 0\r\n\r\n")
		}},
		{"bad content length", func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello")
		}},
		{"silent", func(c net.Conn) {
			time.Sleep(2 * time.Second)
		}},
		{"hang-up", func(c net.Conn) { _ = c.Close() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := newHostileApp(t, tc.serve)
			lead(app.ln.Addr().String())
			start := time.Now()
			code, body := get("/x")
			took := time.Since(start)
			lead(sane)
			app.close()
			if code != 502 || !strings.Contains(body, "app-unreachable") || !strings.Contains(body, refuseUpstream.detail) {
				t.Errorf("got %d %q, want the constant 502 app-unreachable problem", code, trim(body))
			}
			if len(body) > 1024 {
				t.Errorf("the answer is %d bytes: the app's bytes leaked into it", len(body))
			}
			if took > idle+2*time.Second {
				t.Errorf("the answer took %v, want at most the idle timeout (%v) and a margin", took, idle)
			}
			if code, body := get("/after"); code != 200 || body != "app:/after" {
				t.Errorf("sane app after: %d %s", code, trim(body))
			}
			lead(sane)
			goleak.VerifyNone(t, baseline...)
		})
	}

	t.Run("endless body", func(t *testing.T) {
		app := newHostileApp(t, func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
			writeFor(c, "400\r\n"+strings.Repeat("z", 0x400)+"\r\n", 10*time.Second)
		})
		lead(app.ln.Addr().String())
		c, err := net.Dial("tcp", f.addr)
		must(t, err)
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = io.WriteString(c, "GET /x HTTP/1.1\r\nHost: "+host+"\r\nCookie: "+PlainAppCookie+"="+cookie+"\r\nConnection: close\r\n\r\n")
		must(t, err)
		n, _ := io.CopyN(io.Discard, c, 1<<20)
		if n != 1<<20 {
			t.Fatalf("read %d bytes of the stream, want it to flow", n)
		}
		// The client gives up; the proxy must notice and close the
		// upstream, whose writes then fail.
		_ = c.Close()
		lead(sane)
		_ = app.ln.Close() // the accept loop ends; the writer must too
		done := make(chan struct{})
		go func() { app.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(idle + 3*time.Second):
			t.Errorf("the app was still being read from after the client left")
		}
		app.close()
		if code, body := get("/after"); code != 200 || body != "app:/after" {
			t.Errorf("sane app after: %d %s", code, trim(body))
		}
		lead(sane)
		goleak.VerifyNone(t, baseline...)
	})
}

func trim(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// TestHostileLocation: in path mode an app's redirect into the core's own
// paths (its API, another session's prefix) is put back under the app's
// prefix, so it cannot send the browser to the core with the core's
// cookie; a redirect to another origin is the app's to make (a link
// could do the same) and passes unchanged.
func TestHostileLocation(t *testing.T) {
	w := newWorld(t)
	f := w.front("")
	a, b := w.sessA.ID.String(), w.sessB.ID.String()
	for _, tc := range []struct{ location, want string }{
		{"/api/v1/me", "/apps/" + a + "/api/v1/me"},
		{"/apps/" + b + "/x", "/apps/" + a + "/apps/" + b + "/x"},
		{"//evil.test/x", "//evil.test/x"},
		{"https://evil.test/x", "https://evil.test/x"},
	} {
		app := newHostileApp(t, func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 302 Found\r\nLocation: "+tc.location+"\r\nContent-Length: 0\r\n\r\n")
		})
		w.tun.leadTo(app.ln.Addr().String())
		f.p.CloseSession(a)
		resp, _ := f.do(t, "GET", f.public+"/apps/"+a+"/go", map[string]string{"Cookie": "atrium_session=" + w.loginA.token}, nil)
		app.close()
		if resp.StatusCode != 302 || resp.Header.Get("Location") != tc.want {
			t.Errorf("Location %q: %d %q, want %q", tc.location, resp.StatusCode, resp.Header.Get("Location"), tc.want)
		}
	}
}
