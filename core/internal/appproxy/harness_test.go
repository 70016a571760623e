package appproxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/framing"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// seen is what the upstream app received.
type seen struct {
	Host, Method, RequestURI string
	Header                   http.Header
}

// upstream is a real HTTP + WebSocket app on loopback that records every
// request it receives.
type upstream struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []seen
	// release lets /trickle finish; uploaded reports bytes /upload read.
	release  chan struct{}
	uploaded chan int64
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{release: make(chan struct{}), uploaded: make(chan int64, 64)}
	mux := http.NewServeMux()
	mux.HandleFunc("/trickle", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("length") != "" {
			w.Header().Set("Content-Length", "40000")
		}
		_, _ = io.WriteString(w, "first;")
		w.(http.Flusher).Flush()
		<-u.release
		_, _ = io.WriteString(w, strings.Repeat("x", 40000-len("first;")))
	})
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		var n int64
		for {
			k, err := r.Body.Read(buf)
			n += int64(k)
			if k > 0 {
				u.uploaded <- n
			}
			if err != nil {
				break
			}
		}
		fmt.Fprintf(w, "%d", n)
	})
	mux.HandleFunc("/setcookie", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Set-Cookie", "a=1; Domain=apps.test; Path=/")
		h.Add("Set-Cookie", "b=2; Path=/sub; HttpOnly")
		h.Add("Set-Cookie", "atrium_session=evil; Path=/")
		h.Add("Set-Cookie", "__Host-atrium_app=evil; Path=/; Secure")
		h.Add("Set-Cookie", "atrium_app=evil")
		h.Set("Access-Control-Allow-Origin", "https://evil.test")
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Connection", "X-Secret")
		h.Set("X-Secret", "hop")
		h.Set("Location", "/login")
		w.WriteHeader(http.StatusFound)
	})
	up := websocket.Upgrader{
		Subprotocols: []string{"jupyter", "other"},
		CheckOrigin:  func(*http.Request) bool { return true },
	}
	echoWS := func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			kind, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(kind, msg); err != nil {
				return
			}
		}
	}
	mux.HandleFunc("/ws", echoWS)
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.got = append(u.got, seen{Host: r.Host, Method: r.Method, RequestURI: r.RequestURI, Header: r.Header.Clone()})
		u.mu.Unlock()
		// Dispatch by hand: ServeMux would redirect uncleaned paths,
		// and the tests send those on purpose.
		switch {
		case r.URL.Path == "/trickle", r.URL.Path == "/upload", r.URL.Path == "/setcookie", r.URL.Path == "/ws":
			mux.ServeHTTP(w, r)
		case strings.HasSuffix(r.URL.Path, "/ws"):
			// An app that keeps its base path serves its socket under it.
			echoWS(w, r)
		case strings.HasSuffix(r.URL.Path, "/basecookie"):
			// An app that knows its base path sets cookies and redirects
			// in the browser's paths: the folder of this request.
			base := strings.TrimSuffix(r.URL.Path, "basecookie")
			w.Header().Add("Set-Cookie", "c=3; Path="+base)
			w.Header().Set("Location", base+"tree")
			w.WriteHeader(http.StatusFound)
		default:
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprintf(w, "app:%s", r.RequestURI)
		}
	}))
	t.Cleanup(func() {
		select {
		case <-u.release:
		default:
			close(u.release)
		}
		u.srv.Close()
	})
	return u
}

func (u *upstream) requests() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seen(nil), u.got...)
}

func (u *upstream) last(t *testing.T) seen {
	t.Helper()
	g := u.requests()
	if len(g) == 0 {
		t.Fatal("the app received no request")
	}
	return g[len(g)-1]
}

// tunnels stands in for the session manager: every dial opens a new
// loopback connection to the one app, as a runtime tunnel would, and is
// counted per session.
type tunnels struct {
	addr     string
	mu       sync.Mutex
	dials    map[uuid.UUID]int
	protocol map[uuid.UUID]workspace.Protocol
	// upstream is what AppUpstream answers per session (zero: nothing to
	// add); asked counts its calls.
	upstream map[uuid.UUID]session.AppUpstream
	asked    map[uuid.UUID]int
	// upstreamErr, when set, is AppUpstream's answer for every session.
	upstreamErr error
}

func (tu *tunnels) DialPrimary(ctx context.Context, s store.Session) (session.Connection, error) {
	tu.mu.Lock()
	tu.dials[s.ID]++
	proto := tu.protocol[s.ID]
	addr := tu.addr
	tu.mu.Unlock()
	if proto == "" {
		proto = workspace.ProtocolHTTP
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return session.Connection{}, err
	}
	return session.Connection{Conn: c, Protocol: proto}, nil
}

func (tu *tunnels) AppUpstream(_ context.Context, s store.Session) (session.AppUpstream, error) {
	tu.mu.Lock()
	defer tu.mu.Unlock()
	tu.asked[s.ID]++
	if tu.upstreamErr != nil {
		return session.AppUpstream{}, tu.upstreamErr
	}
	return tu.upstream[s.ID], nil
}

// setUpstream sets what AppUpstream answers for a session.
func (tu *tunnels) setUpstream(id uuid.UUID, up session.AppUpstream, err error) {
	tu.mu.Lock()
	defer tu.mu.Unlock()
	tu.upstream[id] = up
	tu.upstreamErr = err
}

// leadTo points every later dial at addr.
func (tu *tunnels) leadTo(addr string) {
	tu.mu.Lock()
	defer tu.mu.Unlock()
	tu.addr = addr
}

// askedFor counts AppUpstream's calls for a session.
func (tu *tunnels) askedFor(id uuid.UUID) int {
	tu.mu.Lock()
	defer tu.mu.Unlock()
	return tu.asked[id]
}

func (tu *tunnels) count(id uuid.UUID) int {
	tu.mu.Lock()
	defer tu.mu.Unlock()
	return tu.dials[id]
}

// world is two users with a running session each, on a real PostgreSQL,
// and the app both sessions' tunnels lead to.
type world struct {
	t      *testing.T
	st     *store.Store
	authn  *authn.Service
	up     *upstream
	tun    *tunnels
	userA  store.User
	userB  store.User
	loginA login
	loginB login
	sessA  store.Session
	sessB  store.Session
}

type login struct {
	token string
	id    uuid.UUID
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, st: storetest.Open(t), up: newUpstream(t)}
	w.tun = &tunnels{addr: w.up.srv.Listener.Addr().String(), dials: map[uuid.UUID]int{}, protocol: map[uuid.UUID]workspace.Protocol{},
		upstream: map[uuid.UUID]session.AppUpstream{}, asked: map[uuid.UUID]int{}}
	w.authn = authn.NewService(w.st, authn.DefaultSessionPolicy, hclog.NewNullLogger())
	org, err := w.st.CreateOrg(ctx, "org", "Org")
	must(t, err)
	w.userA, w.loginA, w.sessA = w.person("alice", org)
	w.userB, w.loginB, w.sessB = w.person("bob", org)
	return w
}

func (w *world) person(name string, org store.Org) (store.User, login, store.Session) {
	t, ctx := w.t, context.Background()
	u, err := w.st.CreateUser(ctx, store.NewUser{Username: name, Email: name + "@example.test", DisplayName: name})
	must(t, err)
	_, err = w.st.AddMember(ctx, store.SystemScope(), org.ID, u.ID, store.RoleMember)
	must(t, err)
	token, hash := authn.NewToken()
	_, csrf := authn.NewToken()
	ls, err := w.st.CreateLoginSession(ctx, store.NewLoginSession{TokenHash: hash, CSRFHash: csrf, UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)})
	must(t, err)
	return u, login{token: token, id: ls.ID}, w.running(org, u)
}

// running creates a session of u and drives it to running.
func (w *world) running(org store.Org, u store.User) store.Session {
	t, ctx, sys := w.t, context.Background(), store.SystemScope()
	s, err := w.st.CreateSession(ctx, sys, store.NewSession{OrgID: org.ID, UserID: u.ID, Template: "code", Runtime: "r"})
	must(t, err)
	_, err = w.st.TransitionSession(ctx, sys, s.ID, store.Transition{To: store.StateStarting})
	must(t, err)
	_, err = w.st.SetSessionHandle(ctx, sys, s.ID, "inst-"+s.ID.String()[:8], 1, nil)
	must(t, err)
	s, err = w.st.TransitionSession(ctx, sys, s.ID, store.Transition{To: store.StateRunning})
	must(t, err)
	return s
}

// front is the core's HTTP server with the proxy mounted first and two
// stand-in core routes behind it.
type front struct {
	p      *Proxy
	addr   string
	public string
	client *http.Client
}

const appDomain = "*.apps.test"

func (w *world) front(domain string) *front { return w.frontWith(domain, nil) }

// frontWith is front with tune adjusting the proxy's options.
func (w *world) frontWith(domain string, tune func(*Options)) *front {
	t := w.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	f := &front{addr: ln.Addr().String(), public: fmt.Sprintf("http://atrium.test:%d", port)}
	opts := Options{Store: w.st, Sessions: w.tun, Authn: w.authn, PublicURL: f.public, AppDomain: domain,
		BodyLimit: 64 << 10, GrantCacheTTL: -1, DialTimeout: 5 * time.Second}
	if tune != nil {
		tune(&opts)
	}
	f.p, err = New(opts)
	must(t, err)
	cfg := fiber.Config{DisableStartupMessage: true, BodyLimit: 64 << 10, ReadTimeout: 5 * time.Second}
	ConfigureServer(&cfg)
	app := fiber.New(cfg)
	// As the core mounts it: the framing check first (api.New).
	app.Use(framing.Middleware())
	app.Use(f.p.Middleware())
	app.Get("/api/v1/me", func(c *fiber.Ctx) error { return c.SendString("core") })
	app.Post("/api/v1/echo", func(c *fiber.Ctx) error { return c.SendString(fmt.Sprint(len(c.Body()))) })
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = f.p.Shutdown(ctx)
		_ = app.ShutdownWithContext(ctx)
	})
	f.client = &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", f.addr)
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return f
}

// appURL is the origin of s's app on this front.
func (f *front) appURL(s store.Session) string {
	return strings.Replace(f.public, "atrium.test", s.ID.String()+".apps.test", 1)
}

func (f *front) do(t *testing.T, method, url string, header map[string]string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	must(t, err)
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := f.client.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp, string(b)
}

// openApp walks the isolation flow for login l and session s and returns
// the app cookie.
func (w *world) openApp(f *front, s store.Session, user store.User, l login) string {
	t := w.t
	t.Helper()
	o, err := f.p.OpenApp(context.Background(), s, user.ID, l.id)
	must(t, err)
	resp, body := f.do(t, "GET", o.URL, nil, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("redeem: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	for _, c := range resp.Cookies() {
		if c.Name == PlainAppCookie {
			return c.Value
		}
	}
	t.Fatalf("redeem set no app cookie: %v", resp.Header["Set-Cookie"])
	return ""
}

// raw sends a hand-written request over TCP and returns the status code
// and the whole first answer.
func (f *front) raw(t *testing.T, request string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", f.addr)
	must(t, err)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	// Written beside the read: a server may answer (413) and close before
	// it has read the whole request, and the answer must still be seen.
	go func() { _, _ = io.WriteString(c, request) }()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err.Error()
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
