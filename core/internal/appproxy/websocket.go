package appproxy

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/atrium-hq/atrium/core/internal/access"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/ratelimit"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// wsBufferSize sizes both sides' WebSocket read and write buffers.
const wsBufferSize = 16 << 10

// websocket proxies a WebSocket: the Origin must be the app's own origin
// (the core's in path mode), then the proxy dials the app through a fresh
// tunnel and completes the app's handshake first — so the browser gets the
// subprotocol the app chose, or the app's refusal — and only then upgrades
// the browser and pumps messages both ways.
func (p *Proxy) websocket(c *fiber.Ctx, s store.Session, target, prefix string) error {
	want := p.o.public
	if prefix == "" {
		want = p.appOrigin(s.ID)
	}
	if c.Get(fiber.HeaderOrigin) != want {
		return refuse(c, refuseOrigin)
	}
	if ok, wait := p.opts.Upgrades.Allow(c.IP()); !ok {
		c.Set(fiber.HeaderRetryAfter, ratelimit.RetryAfter(wait))
		return refuse(c, refuseUpgrades)
	}
	u, err := url.Parse("ws://" + string(c.Request().Header.Host()) + target)
	if err != nil {
		return refuse(c, refuseTarget)
	}
	header := p.upstreamWSHeader(c, prefix)
	ctx, cancel := context.WithTimeout(c.UserContext(), p.opts.DialTimeout)
	defer cancel()
	conn, err := p.pools.dial(s)
	if err != nil {
		p.opts.Logger.Info("app websocket dial failed", "session", s.ID, "error", err)
		p.opts.Metrics.UpstreamError("websocket")
		return refuse(c, refuseUpstream)
	}
	d := websocket.Dialer{
		NetDialContext:   func(context.Context, string, string) (net.Conn, error) { return conn, nil },
		HandshakeTimeout: p.opts.DialTimeout,
		ReadBufferSize:   wsBufferSize,
		WriteBufferSize:  wsBufferSize,
		WriteBufferPool:  wsWriteBuffers,
		Subprotocols:     websocket.Subprotocols(requestOf(c)),
	}
	up, resp, err := d.DialContext(ctx, u.String(), header)
	if err != nil {
		_ = conn.Close()
		refused := refuseWebSocketDial.problem()
		if resp != nil {
			refused.AppStatus = strconv.Itoa(resp.StatusCode)
		}
		p.opts.Logger.Info("app refused the websocket", "session", s.ID, "error", err)
		p.opts.Metrics.UpstreamError("websocket")
		return problem.Write(c, refused)
	}
	var protocols []string
	if sp := up.Subprotocol(); sp != "" {
		protocols = []string{sp}
	}
	upgrader := websocket.FastHTTPUpgrader{
		HandshakeTimeout: p.opts.DialTimeout,
		ReadBufferSize:   wsBufferSize,
		WriteBufferSize:  wsBufferSize,
		WriteBufferPool:  wsWriteBuffers,
		Subprotocols:     protocols,
		// Defence in depth: checked above already.
		CheckOrigin: func(ctx *fasthttp.RequestCtx) bool {
			return string(ctx.Request.Header.Peek(fiber.HeaderOrigin)) == want
		},
	}
	return p.upgrade(c, &upgrader, up, s, grantOf(c))
}

// upgrade answers the browser's handshake and runs the pumps. fasthttp
// runs the hijack only after the 101 is written; if that write fails it
// never runs, so a timer closes the app's side in that case, as the relay
// does.
func (p *Proxy) upgrade(c *fiber.Ctx, u *websocket.FastHTTPUpgrader, up *websocket.Conn, s store.Session, g access.Grant) error {
	var claimed atomic.Bool
	orphan := time.AfterFunc(p.opts.DialTimeout, func() {
		if claimed.CompareAndSwap(false, true) {
			_ = up.Close()
		}
	})
	err := u.Upgrade(c.Context(), func(ws *websocket.Conn) {
		if !claimed.CompareAndSwap(false, true) {
			_ = ws.Close()
			return
		}
		orphan.Stop()
		p.run(ws, up, s, g)
	})
	if err != nil {
		orphan.Stop()
		if claimed.CompareAndSwap(false, true) {
			_ = up.Close()
		}
		p.opts.Logger.Info("app websocket handshake refused", "session", s.ID, "error", err)
	}
	return nil
}

// run pumps both directions until either ends, then closes both.
func (p *Proxy) run(ws, up *websocket.Conn, s store.Session, g access.Grant) {
	sock := &socket{sessionID: s.ID.String(), grant: g, ws: ws, client: underlying(ws.NetConn()), upstream: up.NetConn()}
	if !p.sockets.add(sock) {
		// The core is draining: the browser reconnects elsewhere.
		_ = ws.WriteControl(websocket.CloseMessage, restartClose, time.Now().Add(closeWait))
		sock.close()
		return
	}
	if p.opts.SocketStarted != nil {
		p.opts.SocketStarted(g)
	}
	defer p.sockets.remove(sock)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = pumpMessages(ws, up)
		sock.close()
	}()
	_ = pumpMessages(up, ws)
	sock.close()
	<-done
}

// upstreamWSHeader is the app's handshake header: the browser's end-to-end
// fields and cookies, minus Atrium's, minus what the WebSocket client
// sets itself, plus the proxy's forwarding fields.
func (p *Proxy) upstreamWSHeader(c *fiber.Ctx, prefix string) http.Header {
	in := &c.Request().Header
	h := http.Header{}
	endToEndRequest(in, func(k, v []byte) {
		name := string(k)
		if strings.HasPrefix(strings.ToLower(name), "sec-websocket-") {
			return
		}
		h.Add(name, string(v))
	})
	var cookies []string
	p.appCookies(in, func(k, v []byte) { cookies = append(cookies, string(k)+"="+string(v)) })
	if len(cookies) > 0 {
		h.Set("Cookie", strings.Join(cookies, "; "))
	}
	h.Set("X-Forwarded-For", c.Context().RemoteIP().String())
	h.Set("X-Forwarded-Proto", p.o.scheme)
	h.Set("X-Forwarded-Host", string(in.Host()))
	if prefix != "" {
		h.Set("X-Forwarded-Prefix", prefix)
	}
	setUpstreamAuthWS(c, h)
	return h
}

// requestOf gives websocket.Subprotocols the one field it reads.
func requestOf(c *fiber.Ctx) *http.Request {
	return &http.Request{Header: http.Header{"Sec-Websocket-Protocol": {c.Get(fiber.HeaderSecWebSocketProtocol)}}}
}
