package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/access"
	"github.com/atrium-hq/atrium/core/internal/api"
	"github.com/atrium-hq/atrium/core/internal/appproxy"
	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/schema"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

const (
	revokePublicURL = "http://atrium.test"
	revokeAppDomain = "*.apps.atrium.test"
	revokePassword  = "correct horse battery"
)

// replica is one core on the shared database: the API, the VNC relay and
// the app proxy on one loopback listener, its own LISTEN connection, relay
// registry and access.Revoker — as server.Run wires them.
type replica struct {
	addr string
	reg  *relay.Registry
	apps *appproxy.Proxy
}

// echoApps stands in for the session manager's tunnels: every session's
// primary port is a real loopback server — a TCP echo for desktops, an
// HTTP app with a WebSocket echo for web apps. It is a FAKE only in that
// no runtime plugin started them.
type echoApps struct{ vnc, app string }

func (e echoApps) DialPrimary(ctx context.Context, s store.Session) (session.Connection, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", e.app)
	return session.Connection{Conn: c, Protocol: workspace.ProtocolHTTP}, err
}

func (echoApps) AppUpstream(context.Context, store.Session) (session.AppUpstream, error) {
	return session.AppUpstream{}, nil
}

// noRuntimes is a FAKE plugin host: these tests never start a session.
type noRuntimes struct{}

var errNoPlugins = errors.New("no plugins in revocation tests")

func (noRuntimes) Runtime(string) (connect.Runtime, error)     { return nil, errNoPlugins }
func (noRuntimes) Workspace(string) (connect.Workspace, error) { return nil, errNoPlugins }
func (noRuntimes) WorkspaceSchema(context.Context, string) (schema.Object, error) {
	return schema.Object{}, errNoPlugins
}
func (noRuntimes) RuntimeRestarted(func(string)) {}

func startReplica(t *testing.T, ctx context.Context, st *store.Store, up echoApps, log hclog.Logger) *replica {
	t.Helper()
	w := session.NewWatcher(st.Pool(), log)
	go w.Run(ctx)
	select {
	case <-w.Listening():
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher does not listen")
	}
	mgr, err := session.New(ctx, session.Options{Store: st, Plugins: noRuntimes{}, Sealer: mustSealer(t), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	authnSvc := authn.NewService(st, authn.DefaultSessionPolicy, log)
	var rev *access.Revoker
	apps, err := appproxy.New(appproxy.Options{Store: st, Sessions: up, Authn: authnSvc, PublicURL: revokePublicURL,
		AppDomain: revokeAppDomain, Logger: log, SocketStarted: func(g access.Grant) { rev.Recheck(g.UserID) }})
	if err != nil {
		t.Fatal(err)
	}
	reg := relay.NewRegistry()
	tickets := api.NewTickets(st)
	vnc, err := relay.Handler(relay.HandlerOptions{Tickets: tickets, AllowedOrigins: []string{revokePublicURL}, Registry: reg, Logger: log,
		Lookup: func(ctx context.Context, id string) (relay.Upstream, error) {
			s, err := st.GetSession(ctx, store.SystemScope(), uuid.MustParse(id))
			if err != nil || s.State != store.StateRunning {
				return relay.Upstream{}, relay.ErrSessionNotRunning
			}
			return relay.Upstream{InstanceID: s.InstanceID, Dial: func(ctx context.Context) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", up.vnc)
			}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	rev = startRevoker(ctx, st, w, reg, apps, log)
	srv := api.New(api.Deps{Logger: log, Store: st, Authn: authnSvc, PublicURL: revokePublicURL, Sessions: mgr,
		Tickets: tickets, VNC: vnc, Apps: apps, AppRouter: apps.Middleware()})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = reg.Shutdown(sctx)
		_ = apps.Shutdown(sctx)
		_ = srv.Shutdown(sctx)
	})
	return &replica{addr: ln.Addr().String(), reg: reg, apps: apps}
}

func mustSealer(t *testing.T) *session.Sealer {
	s, err := session.NewSealer(bytes.Repeat([]byte{7}, session.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startEchoes starts the sessions' stand-in servers.
func startEchoes(t *testing.T) echoApps {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			k, m, err := c.ReadMessage()
			if err != nil || c.WriteMessage(k, m) != nil {
				return
			}
		}
	}))
	t.Cleanup(app.Close)
	return echoApps{vnc: ln.Addr().String(), app: app.Listener.Addr().String()}
}

// login is one browser login of a user.
type login struct {
	id           uuid.UUID
	cookie, csrf string
}

// revokeWorld is one organisation on a real PostgreSQL with two replicas.
type revokeWorld struct {
	t          *testing.T
	st         *store.Store
	r1, r2     *replica
	org        store.Org
	root, boss store.User
	rootLogin  login
	bossLogin  login
	hash       string
}

func newRevokeWorld(t *testing.T) *revokeWorld {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st := storetest.Open(t)
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Info, Output: io.Discard})
	up := startEchoes(t)
	w := &revokeWorld{t: t, st: st, r1: startReplica(t, ctx, st, up, log.Named("r1")), r2: startReplica(t, ctx, st, up, log.Named("r2"))}
	var err error
	if w.hash, err = authn.HashPassword(revokePassword); err != nil {
		t.Fatal(err)
	}
	if w.org, err = st.CreateOrg(ctx, "org", "Org"); err != nil {
		t.Fatal(err)
	}
	w.root = w.user("root", true, "")
	w.boss = w.user("boss", false, store.RoleOrgAdmin)
	w.rootLogin, w.bossLogin = w.login(w.root), w.login(w.boss)
	return w
}

func (w *revokeWorld) user(name string, admin bool, role store.Role) store.User {
	ctx := context.Background()
	u, err := w.st.CreateUser(ctx, store.NewUser{Username: name, PasswordHash: &w.hash, PlatformAdmin: admin})
	if err != nil {
		w.t.Fatal(err)
	}
	if role != "" {
		if _, err := w.st.AddMember(ctx, store.SystemScope(), w.org.ID, u.ID, role); err != nil {
			w.t.Fatal(err)
		}
	}
	return u
}

func (w *revokeWorld) login(u store.User) login {
	token, hash := authn.NewToken()
	csrf := authn.CSRFToken(token)
	ls, err := w.st.CreateLoginSession(context.Background(), store.NewLoginSession{TokenHash: hash, CSRFHash: authn.HashToken(csrf),
		UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		w.t.Fatal(err)
	}
	return login{id: ls.ID, cookie: token, csrf: csrf}
}

// running creates a session of u and drives it to running.
func (w *revokeWorld) running(u store.User) store.Session {
	ctx, sys := context.Background(), store.SystemScope()
	s, err := w.st.CreateSession(ctx, sys, store.NewSession{OrgID: w.org.ID, UserID: u.ID, Template: "t", Runtime: "r"})
	if err == nil {
		_, err = w.st.TransitionSession(ctx, sys, s.ID, store.Transition{To: store.StateStarting})
	}
	if err == nil {
		_, err = w.st.SetSessionHandle(ctx, sys, s.ID, "inst-"+s.ID.String()[:8], 1, nil)
	}
	if err == nil {
		s, err = w.st.TransitionSession(ctx, sys, s.ID, store.Transition{To: store.StateRunning})
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// call makes an API request to replica r as l and decodes a JSON answer
// into out, if given.
func (w *revokeWorld) call(r *replica, l login, method, path, body string, out any) int {
	w.t.Helper()
	req, _ := http.NewRequest(method, "http://"+r.addr+path, strings.NewReader(body))
	req.Host = "atrium.test"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", revokePublicURL)
	req.Header.Set(api.HeaderCSRF, l.csrf)
	req.AddCookie(&http.Cookie{Name: authn.CookieName(false), Value: l.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			w.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// ticket asks replica 1 for a relay ticket of s as l.
func (w *revokeWorld) ticket(l login, s store.Session) string {
	w.t.Helper()
	var v struct{ Ticket string }
	if code := w.call(w.r1, l, "POST", "/api/v1/sessions/"+s.ID.String()+"/connect", "", &v); code != 200 {
		w.t.Fatalf("connect: %d", code)
	}
	return v.Ticket
}

// appToken asks replica 1 for a single-use app link of s as l.
func (w *revokeWorld) appToken(l login, s store.Session) string {
	w.t.Helper()
	var v struct{ URL string }
	if code := w.call(w.r1, l, "POST", "/api/v1/sessions/"+s.ID.String()+"/open", "", &v); code != 200 {
		w.t.Fatalf("open: %d", code)
	}
	u, err := url.Parse(v.URL)
	if err != nil {
		w.t.Fatal(err)
	}
	return u.Query().Get("token")
}

// dialer reaches replica r whatever host the URL names.
func dialer(r *replica, protocols ...string) *websocket.Dialer {
	return &websocket.Dialer{Subprotocols: protocols, HandshakeTimeout: 5 * time.Second,
		NetDial: func(string, string) (net.Conn, error) { return net.Dial("tcp", r.addr) }}
}

// openRelay opens the desktop relay of s on replica r with a ticket.
func openRelay(r *replica, s store.Session, ticket string) (*websocket.Conn, error) {
	h := http.Header{"Origin": {revokePublicURL}}
	c, resp, err := dialer(r, relay.Subprotocol).Dial("ws://atrium.test/api/v1/sessions/"+s.ID.String()+"/vnc?ticket="+ticket, h)
	if err != nil && resp != nil {
		err = fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
	}
	return c, err
}

// openApp redeems an app token on replica r's app host and opens the
// app's WebSocket with the cookie it got.
func openApp(r *replica, s store.Session, token string) (*websocket.Conn, error) {
	host := s.ID.String() + ".apps.atrium.test"
	req, _ := http.NewRequest("GET", "http://"+r.addr+appproxy.AuthPath+"?token="+token+"&next=/", nil)
	req.Host = host
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == appproxy.PlainAppCookie {
			cookie = c.Value
		}
	}
	if resp.StatusCode != http.StatusSeeOther || cookie == "" {
		return nil, fmt.Errorf("redeem app token: HTTP %d", resp.StatusCode)
	}
	h := http.Header{"Origin": {"http://" + host}, "Cookie": {appproxy.PlainAppCookie + "=" + cookie}}
	c, resp, err := dialer(r).Dial("ws://"+host+"/ws", h)
	if err != nil && resp != nil {
		err = fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
	}
	return c, err
}

// alive reports whether the stream still echoes.
func alive(c *websocket.Conn) bool {
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if c.WriteMessage(websocket.BinaryMessage, []byte("ping")) != nil {
		return false
	}
	_, m, err := c.ReadMessage()
	return err == nil && string(m) == "ping"
}

// closedSoon reports whether the server ends the stream within 5 s.
func closedSoon(c *websocket.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ne net.Error
			return !(errors.As(err, &ne) && ne.Timeout())
		}
	}
}

// TestRevocationClosesLiveStreams: on two replicas of one database, a
// user's desktop relays and app WebSockets run on replica 2 while the
// revoking request goes to replica 1. Logout ends the streams of that
// login only; a password change those of the other logins; a suspension
// and a removed membership all of them. A relay ticket and an app token
// issued before the event open nothing after it.
func TestRevocationClosesLiveStreams(t *testing.T) {
	w := newRevokeWorld(t)
	events := []struct {
		name string
		// do revokes; it gets the user and its two logins.
		do func(u store.User, a, b login) int
		// cut says which logins lose their streams.
		cutA, cutB bool
		// stale is the login whose earlier ticket must be refused.
		staleFromB bool
	}{
		{name: "logout", cutA: true, do: func(_ store.User, a, _ login) int {
			return w.call(w.r1, a, "POST", "/api/v1/auth/logout", "", nil)
		}},
		{name: "password change", cutB: true, staleFromB: true, do: func(_ store.User, a, _ login) int {
			return w.call(w.r1, a, "PATCH", "/api/v1/me", fmt.Sprintf(`{"current_password":%q,"new_password":"another good password"}`, revokePassword), nil)
		}},
		{name: "suspension", cutA: true, cutB: true, do: func(u store.User, _, _ login) int {
			return w.call(w.r1, w.rootLogin, "PATCH", "/api/v1/users/"+u.ID.String(), `{"status":"suspended"}`, nil)
		}},
		{name: "removed membership", cutA: true, cutB: true, do: func(u store.User, _, _ login) int {
			return w.call(w.r1, w.bossLogin, "DELETE", "/api/v1/orgs/"+w.org.ID.String()+"/members/"+u.ID.String(), "", nil)
		}},
	}
	for i, ev := range events {
		t.Run(ev.name, func(t *testing.T) {
			w.t = t
			u := w.user(fmt.Sprintf("user-%d", i), false, store.RoleMember)
			desk, app := w.running(u), w.running(u)
			la, lb := w.login(u), w.login(u)
			streams := map[string]*websocket.Conn{}
			for name, l := range map[string]login{"a": la, "b": lb} {
				c, err := openRelay(w.r2, desk, w.ticket(l, desk))
				if err != nil {
					t.Fatalf("relay of login %s: %v", name, err)
				}
				defer c.Close()
				streams["relay "+name] = c
				c, err = openApp(w.r2, app, w.appToken(l, app))
				if err != nil {
					t.Fatalf("app socket of login %s: %v", name, err)
				}
				defer c.Close()
				streams["app "+name] = c
			}
			for name, c := range streams {
				if !alive(c) {
					t.Fatalf("%s does not echo before the event", name)
				}
			}
			staleLogin := la
			if ev.staleFromB {
				staleLogin = lb
			}
			staleTicket, staleToken := w.ticket(staleLogin, desk), w.appToken(staleLogin, app)

			if code := ev.do(u, la, lb); code >= 300 {
				t.Fatalf("the event answered %d", code)
			}
			cut := map[string]bool{"relay a": ev.cutA, "app a": ev.cutA, "relay b": ev.cutB, "app b": ev.cutB}
			for name, c := range streams {
				if cut[name] {
					if !closedSoon(c) {
						t.Errorf("%s on the other replica still runs after the %s", name, ev.name)
					}
				} else if !alive(c) {
					t.Errorf("%s ended, but the %s did not revoke its login", name, ev.name)
				}
			}
			if c, err := openRelay(w.r2, desk, staleTicket); err == nil {
				c.Close()
				t.Errorf("a relay ticket issued before the %s opened a relay", ev.name)
			}
			if c, err := openApp(w.r2, app, staleToken); err == nil {
				c.Close()
				t.Errorf("an app token issued before the %s opened the app", ev.name)
			}
		})
	}
}
