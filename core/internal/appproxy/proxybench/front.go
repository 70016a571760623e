package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/valyala/fasthttp"

	"github.com/atrium-hq/atrium/core/internal/appproxy"
	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/pgembed"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// front is the proxy as the core serves it, with one running session per
// app and a browser's app cookie for each.
type front struct {
	addr string
	// hosts and cookies are per app name.
	hosts, cookies map[string]string
}

// decorate adds the app's cookie to a request.
func (f front) decorate(app string) func(*fasthttp.Request) {
	cookie := f.cookies[app]
	return func(r *fasthttp.Request) { r.Header.SetCookie(appproxy.PlainAppCookie, cookie) }
}

// startFront starts PostgreSQL, a user logged in with one running session
// per app, and the proxy in front of them, and opens each app as a browser
// would.
func startFront(ctx context.Context, apps []app, log hclog.Logger) (front, func(), error) {
	st, stop, err := database(ctx, log)
	if err != nil {
		return front{}, nil, err
	}
	fail := func(err error) (front, func(), error) { stop(); return front{}, nil, err }
	org, user, login, err := seedUser(ctx, st)
	if err != nil {
		return fail(err)
	}
	t := tunnels{addrs: map[uuid.UUID]string{}}
	sessions := map[string]store.Session{}
	for _, a := range apps {
		s, err := seedSession(ctx, st, org, user, a.name)
		if err != nil {
			return fail(err)
		}
		t.addrs[s.ID] = a.addr
		sessions[a.name] = s
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(fmt.Errorf("listen for the core: %w", err))
	}
	port := ln.Addr().(*net.TCPAddr).Port
	p, err := appproxy.New(appproxy.Options{Store: st, Sessions: t, PublicURL: fmt.Sprintf("http://atrium.bench:%d", port),
		AppDomain: "*.apps.bench", Logger: log})
	if err != nil {
		ln.Close()
		return fail(err)
	}
	cfg := fiber.Config{DisableStartupMessage: true, ReadTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, BodyLimit: 1 << 20}
	appproxy.ConfigureServer(&cfg)
	f := fiber.New(cfg)
	f.Use(p.Middleware())
	go func() { _ = f.Listener(ln) }()
	stopAll := func() { _ = f.ShutdownWithTimeout(5 * time.Second); _ = p.Shutdown(context.Background()); stop() }

	fr := front{addr: ln.Addr().String(), hosts: map[string]string{}, cookies: map[string]string{}}
	for name, s := range sessions {
		fr.hosts[name] = s.ID.String() + ".apps.bench"
		cookie, err := openApp(ctx, p, fr.addr, fr.hosts[name], s, user, login)
		if err != nil {
			stopAll()
			return front{}, nil, err
		}
		fr.cookies[name] = cookie
	}
	return fr, stopAll, nil
}

// database starts a throwaway PostgreSQL and migrates it.
func database(ctx context.Context, log hclog.Logger) (*store.Store, func(), error) {
	dir, err := os.MkdirTemp("", "atrium-bench-proxy-")
	if err != nil {
		return nil, nil, fmt.Errorf("create a directory for PostgreSQL: %w", err)
	}
	srv, err := pgembed.Start(ctx, pgembed.Options{Dir: dir, Logger: log, Settings: map[string]string{"fsync": "off", "synchronous_commit": "off"}})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("start PostgreSQL (install Debian's postgresql package): %w", err)
	}
	stop := func() {
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = srv.Stop(c)
		os.RemoveAll(dir)
	}
	if _, err := store.Migrate(ctx, srv.URL(), log); err != nil {
		stop()
		return nil, nil, err
	}
	st, err := store.Open(ctx, srv.URL(), log)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return st, func() { st.Close(); stop() }, nil
}

// seedUser creates a member of an organisation, logged in, and returns
// the organisation, the user and the login session.
func seedUser(ctx context.Context, st *store.Store) (uuid.UUID, store.User, uuid.UUID, error) {
	org, err := st.CreateOrg(ctx, "bench", "Bench")
	if err != nil {
		return uuid.Nil, store.User{}, uuid.Nil, err
	}
	u, err := st.CreateUser(ctx, store.NewUser{Username: "bench", Email: "bench@example.test", DisplayName: "Bench"})
	if err == nil {
		_, err = st.AddMember(ctx, store.SystemScope(), org.ID, u.ID, store.RoleMember)
	}
	if err != nil {
		return uuid.Nil, store.User{}, uuid.Nil, err
	}
	_, hash := authn.NewToken()
	_, csrf := authn.NewToken()
	ls, err := st.CreateLoginSession(ctx, store.NewLoginSession{TokenHash: hash, CSRFHash: csrf, UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)})
	return org.ID, u, ls.ID, err
}

// seedSession creates a running session of u's, as the reconciler leaves
// it.
func seedSession(ctx context.Context, st *store.Store, org uuid.UUID, u store.User, name string) (store.Session, error) {
	sys := store.SystemScope()
	s, err := st.CreateSession(ctx, sys, store.NewSession{OrgID: org, UserID: u.ID, Template: name, Runtime: "bench"})
	if err == nil {
		_, err = st.TransitionSession(ctx, sys, s.ID, store.Transition{To: store.StateStarting})
	}
	if err == nil {
		_, err = st.SetSessionHandle(ctx, sys, s.ID, "bench-"+name, 1, nil)
	}
	if err == nil {
		s, err = st.TransitionSession(ctx, sys, s.ID, store.Transition{To: store.StateRunning})
	}
	return s, err
}

// tunnels dials a session's app afresh for every tunnel, as a runtime
// would.
type tunnels struct {
	addrs map[uuid.UUID]string
}

func (t tunnels) DialPrimary(ctx context.Context, s store.Session) (session.Connection, error) {
	dials.Add(1)
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.addrs[s.ID])
	return session.Connection{Conn: c, Protocol: workspace.ProtocolHTTP}, err
}

// AppUpstream declares nothing to add: the bench's apps check no token.
func (t tunnels) AppUpstream(context.Context, store.Session) (session.AppUpstream, error) {
	return session.AppUpstream{}, nil
}

// dials counts tunnels opened; pooling should keep it near -concurrency
// per app.
var dials atomic.Int64

// openApp walks the browser's flow and returns the app cookie.
func openApp(ctx context.Context, p *appproxy.Proxy, front, host string, s store.Session, u store.User, login uuid.UUID) (string, error) {
	o, err := p.OpenApp(ctx, s, u.ID, login)
	if err != nil {
		return "", err
	}
	target := o.URL[strings.Index(o.URL, "/_atrium"):]
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + front + target)
	req.Header.SetHost(host)
	req.UseHostHeader = true
	if err := fasthttp.Do(req, resp); err != nil {
		return "", fmt.Errorf("redeem the app token: %w", err)
	}
	var cookie string
	resp.Header.VisitAllCookie(func(k, v []byte) {
		c := fasthttp.AcquireCookie()
		defer fasthttp.ReleaseCookie(c)
		if string(k) == appproxy.PlainAppCookie && c.ParseBytes(v) == nil {
			cookie = string(c.Value())
		}
	})
	if cookie == "" {
		return "", errors.New("redeeming the app token set no cookie: " + resp.String())
	}
	return cookie, nil
}
