package appproxy

import (
	"errors"
	"net/netip"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// forward sends the request to s's app with target as its request target
// and streams the answer back. prefix is the path-mode prefix ("" on an
// app host). Bodies are streamed both ways: the request body from the
// client socket into the tunnel, the response from the tunnel to the
// client, neither ever held whole.
func (p *Proxy) forward(c *fiber.Ctx, s store.Session, target, prefix string) error {
	if websocket.FastHTTPIsWebSocketUpgrade(c.Context()) {
		return p.websocket(c, s, target, prefix)
	}
	in := c.Request()
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	p.upstreamRequest(c, req, target, prefix)

	var body *idleReader
	if cl := in.Header.ContentLength(); in.IsBodyStream() && cl != 0 {
		body = &idleReader{r: in.BodyStream(), conn: c.Context().Conn(), idle: p.opts.StreamIdleTimeout}
		req.SetBodyStream(body, cl)
	} else if b := in.Body(); len(b) > 0 {
		req.SetBodyRaw(b)
	}

	resp := fasthttp.AcquireResponse()
	err := p.pools.get(s).Do(req, resp)
	if body != nil && !body.eof {
		// The rest of the client's body is still on the socket; the
		// connection cannot carry another request.
		c.Context().SetConnectionClose()
	}
	if err != nil {
		fasthttp.ReleaseResponse(resp)
		switch {
		case body != nil && body.err != nil:
			// The client's body broke off or was malformed (bad chunking):
			// the app saw a truncated request and the client is told.
			return refuse(c, refuseFraming)
		case errors.Is(err, errNotHTTP):
			return refuse(c, refuseNotHTTP)
		case errors.Is(err, fasthttp.ErrNoFreeConns):
			return refuse(c, refuseBusy)
		}
		p.opts.Logger.Info("app request failed", "session", s.ID, "method", c.Method(), "error", err)
		p.opts.Metrics.UpstreamError("request")
		return refuse(c, refuseUpstream)
	}

	out := c.Response()
	p.copyResponseHeader(&resp.Header, &out.Header, prefix)
	if in.Header.IsHead() {
		out.SkipBody = true
		out.Header.SetContentLength(resp.Header.ContentLength())
		fasthttp.ReleaseResponse(resp)
		return nil
	}
	size := resp.Header.ContentLength()
	if !resp.IsBodyStream() || (size >= 0 && size <= bufferedMax) {
		// fasthttp's streaming client hands over even a small body it has
		// already read whole as a stream. Copied here, it goes out with
		// the header in one write, and resp (with its parsed header) goes
		// back to its pool. BodyWriteTo closes the stream with the copy's
		// outcome: the connection is pooled again only after a whole body.
		err := resp.BodyWriteTo(out.BodyWriter())
		fasthttp.ReleaseResponse(resp)
		if err != nil {
			out.ResetBody()
			return refuse(c, refuseUpstream)
		}
		return nil
	}
	// The server writes the stream after the handler returns, then closes
	// it with the write's outcome: the upstream connection goes back to
	// the pool only after a complete body, and is closed otherwise. resp
	// is deliberately not released: releasing it would close the stream a
	// second time and hand its connection back twice.
	// A real stream (chunked, or above bufferedMax) flushes the header at
	// once, so a client sees a slow app's response start.
	out.ImmediateHeaderFlush = true
	if size < 0 {
		size = -1
	}
	out.SetBodyStream(resp.BodyStream(), size)
	return nil
}

// upstreamRequest writes the request line and end-to-end headers of the
// upstream request, and the forwarding headers only the proxy sets.
func (p *Proxy) upstreamRequest(c *fiber.Ctx, req *fasthttp.Request, target, prefix string) {
	in := &c.Request().Header
	req.Header.DisableNormalizing()
	req.Header.SetMethodBytes(in.Method())
	req.Header.SetRequestURI(target)
	host := in.Host()
	req.Header.SetHostBytes(host)
	req.UseHostHeader = true
	endToEndRequest(in, req.Header.AddBytesKV)
	p.appCookies(in, req.Header.SetCookieBytesKV)
	if ct := in.ContentType(); len(ct) > 0 {
		req.Header.SetContentTypeBytes(ct)
	}
	var ip [64]byte
	if a, ok := netip.AddrFromSlice(c.Context().RemoteIP()); ok {
		req.Header.SetBytesV("X-Forwarded-For", a.Unmap().AppendTo(ip[:0]))
	}
	req.Header.Set("X-Forwarded-Proto", p.o.scheme)
	req.Header.SetBytesV("X-Forwarded-Host", host)
	if prefix != "" {
		req.Header.Set("X-Forwarded-Prefix", prefix)
	}
	setUpstreamAuth(c, &req.Header)
}
