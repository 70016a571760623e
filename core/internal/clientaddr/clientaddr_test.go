package clientaddr

import (
	"net"
	"net/http"
	"net/netip"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func prefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var ps []netip.Prefix
	for _, s := range ss {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}

func TestClient(t *testing.T) {
	trusted := prefixes(t, "10.0.0.0/8", "127.0.0.1/32")
	for _, tc := range []struct {
		xff, want string
	}{
		{"203.0.113.7", "203.0.113.7"},
		// A client-written entry left of the real one is ignored.
		{"198.51.100.1, 203.0.113.7", "203.0.113.7"},
		// Trusted proxies on the way are skipped.
		{"203.0.113.7, 10.1.2.3, 127.0.0.1", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8::1", "2001:db8::1"},
		{"", ""},
		{"10.1.2.3", ""},
		{"unknown, 10.1.2.3", ""},
		{"203.0.113.7, garbage", ""},
	} {
		got, ok := Client(tc.xff, trusted)
		if (tc.want == "") == ok || (ok && got.String() != tc.want) {
			t.Errorf("Client(%q) = %v, %v; want %q", tc.xff, got, ok, tc.want)
		}
	}
}

// serve runs Middleware in a real Fiber app on loopback and returns the
// address a handler after it sees, for a request with header xff.
func serve(t *testing.T, trusted []netip.Prefix, xff string) string {
	t.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(Middleware(trusted))
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString(c.IP()) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { _ = app.Shutdown() })
	req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
	if xff != "" {
		req.Header.Set(Header, xff)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := make([]byte, 64)
	n, _ := resp.Body.Read(b)
	return string(b[:n])
}

func TestMiddleware(t *testing.T) {
	if got := serve(t, prefixes(t, "127.0.0.0/8"), "203.0.113.7"); got != "203.0.113.7" {
		t.Errorf("from a trusted proxy: handler sees %q, want the client 203.0.113.7", got)
	}
	if got := serve(t, prefixes(t, "10.0.0.0/8"), "203.0.113.7"); got != "127.0.0.1" {
		t.Errorf("from an untrusted peer: handler sees %q, want the peer 127.0.0.1", got)
	}
	if got := serve(t, nil, "203.0.113.7"); got != "127.0.0.1" {
		t.Errorf("with no trusted proxies: handler sees %q, want the peer 127.0.0.1", got)
	}
	if got := serve(t, prefixes(t, "127.0.0.0/8"), ""); got != "127.0.0.1" {
		t.Errorf("a trusted proxy without the header: handler sees %q, want the peer", got)
	}
}
