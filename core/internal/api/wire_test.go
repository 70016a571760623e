package api

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/appproxy"
	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// served is the API of a world mounted as the core mounts it — behind the
// real app proxy's router — and listening on loopback, so requests go over
// real sockets through fasthttp's own parser.
type served struct {
	*world
	addr string
}

func serveWorld(t *testing.T) *served {
	t.Helper()
	return serveWorldOf(t, newWorld(t, "http://atrium.test"))
}

// serveWorldOf is serveWorld for a world the caller made.
func serveWorldOf(t *testing.T, w *world) *served {
	t.Helper()
	apps, err := appproxy.New(appproxy.Options{Store: w.st, Sessions: noApps{}, Authn: authn.NewService(w.st, authn.DefaultSessionPolicy, nil),
		PublicURL: w.publicURL, AppDomain: "*.apps.test", BodyLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = New(Deps{Logger: w.srv.log, Store: w.st, Authn: w.srv.deps.Authn, PublicURL: w.publicURL,
		Sessions: w.srv.deps.Sessions, Tickets: w.srv.deps.Tickets, Apps: apps, AppRouter: apps.Middleware()})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.srv.Shutdown(ctx)
	})
	return &served{world: w, addr: ln.Addr().String()}
}

// noApps is a fake session manager whose sessions have no reachable app:
// these tests are about the core's own routes.
type noApps struct{}

func (noApps) DialPrimary(context.Context, store.Session) (session.Connection, error) {
	return session.Connection{}, errNoPlugin
}
func (noApps) AppUpstream(context.Context, store.Session) (session.AppUpstream, error) {
	return session.AppUpstream{}, errNoPlugin
}

// exchange writes raw bytes on a new connection and reads every response
// the server sends until it closes the connection or goes quiet.
func (s *served) exchange(t *testing.T, raw string) (resps []*http.Response, bodies []string) {
	t.Helper()
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() { _, _ = io.WriteString(c, raw) }()
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	br := bufio.NewReader(c)
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return resps, bodies
		}
		b, _ := io.ReadAll(resp.Body)
		resps, bodies = append(resps, resp), append(bodies, string(b))
		if resp.Close {
			return resps, bodies
		}
	}
}

func (s *served) first(t *testing.T, raw string) (int, string) {
	t.Helper()
	resps, bodies := s.exchange(t, raw)
	if len(resps) == 0 {
		t.Fatalf("no response to %.80q", raw)
	}
	return resps[0].StatusCode, bodies[0]
}

const loginHead = "POST /api/v1/auth/login HTTP/1.1\r\nHost: atrium.test\r\nContent-Type: application/json\r\n"

// TestBodyLimitOnWire: a body over the 1 MiB limit gets 413 on the core's
// own routes, also on the unauthenticated login, with a Content-Length and
// chunked, and the handler never runs (the login would answer 401).
func TestBodyLimitOnWire(t *testing.T) {
	s := serveWorld(t)
	big := `{"username":"` + strings.Repeat("x", 3<<20) + `","password":"p"}`
	if code, body := s.first(t, loginHead+fmt.Sprintf("Content-Length: %d\r\n\r\n", len(big))+big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("3 MB with Content-Length: %d %.200s", code, body)
	}
	var chunked strings.Builder
	for i := 0; i < len(big); i += 64 << 10 {
		part := big[i:min(i+64<<10, len(big))]
		fmt.Fprintf(&chunked, "%x\r\n%s\r\n", len(part), part)
	}
	chunked.WriteString("0\r\n\r\n")
	if code, body := s.first(t, loginHead+"Transfer-Encoding: chunked\r\n\r\n"+chunked.String()); code != http.StatusRequestEntityTooLarge {
		t.Errorf("3 MB chunked: %d %.200s", code, body)
	}
	// Under the limit the route still runs.
	small := `{"username":"nobody","password":"p"}`
	if code, body := s.first(t, loginHead+"Origin: http://atrium.test\r\n"+fmt.Sprintf("Content-Length: %d\r\n\r\n", len(small))+small); code != http.StatusUnauthorized {
		t.Errorf("small login: %d %.200s", code, body)
	}
}
