package relay

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/atrium-hq/atrium/core/internal/access"
)

// Owner says whose stream a relay carries, so the Registry can end every
// relay of a session or of a user.
type Owner struct {
	SessionID string
	UserID    string
	// Grant is what the relay's access rests on; Registry.Revoke ends the
	// relays of a grant that no longer holds.
	Grant access.Grant
}

// Relay copies one browser WebSocket to one upstream connection and back.
// Each direction has exactly one goroutine, which reads one chunk and
// writes it whole before reading the next: a slow side stalls the other
// instead of growing a queue.
type Relay struct {
	owner Owner
	opts  Options
	ws    *websocket.Conn
	// raw is the socket under ws. Closing ws alone does not close a
	// connection fasthttp hijacked, so the relay closes raw.
	raw  net.Conn
	up   net.Conn
	pool *sync.Pool
	wait readyWaiter

	// direct is set when raw takes a writev: pumpDown then writes its
	// frames itself (writeBinary), with hdr, iov and vec reused for each.
	direct bool
	hdr    [frameHeaderMax]byte
	iov    [2][]byte
	vec    net.Buffers

	started      time.Time
	toUpstream   atomic.Uint64
	toClient     atomic.Uint64
	lastActivity atomic.Int64

	pinger  *time.Timer
	endOnce sync.Once
	// closedFor is why the core closed the stream (Close), first caller
	// wins; nil when a peer or an error ended it.
	closedFor atomic.Pointer[string]
	closeSent atomic.Bool
	done      chan struct{}

	// ctlMu orders control frames (pings, close) sent from outside the
	// pumps against Run's return: once Run returns, fasthttp takes the
	// hijacked connection back, and a frame written through it then would
	// touch a recycled object. finished is set under ctlMu as Run ends.
	ctlMu    sync.Mutex
	finished bool
}

// Stats is a live snapshot of one relay.
type Stats struct {
	Owner
	// Started is when the relay began copying.
	Started time.Time
	// BytesToUpstream counts payload bytes from the browser to the session.
	BytesToUpstream uint64
	// BytesToClient counts payload bytes from the session to the browser.
	BytesToClient uint64
	// LastActivity is when the last payload byte crossed, in either
	// direction; idle culling reads it. Pings do not count.
	LastActivity time.Time
}

// New returns a relay between ws, a server-side WebSocket, and up, the
// session's connection. It takes ownership of both: Run closes them.
func New(ws *websocket.Conn, up net.Conn, owner Owner, opts Options) (*Relay, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if ws == nil || up == nil {
		return nil, errors.New("relay: New needs both a WebSocket and an upstream connection")
	}
	now := time.Now()
	r := &Relay{
		owner:   owner,
		opts:    o,
		ws:      ws,
		raw:     underlying(ws.NetConn()),
		up:      up,
		pool:    bufferPool(o.BufferSize),
		started: now,
		done:    make(chan struct{}),
	}
	r.direct = vectored(r.raw)
	r.wait = newReadyWaiter(up)
	r.lastActivity.Store(now.UnixNano())
	return r, nil
}

// underlying unwraps fasthttp's hijacked connection, whose Close does
// nothing while the hijack handler runs.
func underlying(c net.Conn) net.Conn {
	if u, ok := c.(interface{ UnsafeConn() net.Conn }); ok {
		if raw := u.UnsafeConn(); raw != nil {
			return raw
		}
	}
	return c
}

// Owner returns whose stream the relay carries.
func (r *Relay) Owner() Owner { return r.owner }

// Stats returns the relay's counters; it is safe to call while it runs.
func (r *Relay) Stats() Stats {
	return Stats{
		Owner:           r.owner,
		Started:         r.started,
		BytesToUpstream: r.toUpstream.Load(),
		BytesToClient:   r.toClient.Load(),
		LastActivity:    time.Unix(0, r.lastActivity.Load()),
	}
}

// Done is closed when Run has returned.
func (r *Relay) Done() <-chan struct{} { return r.done }

// Run copies until either side ends or Close is called, then closes both
// connections and returns. The error says why the stream ended; a normal
// end by either peer returns nil.
func (r *Relay) Run() error {
	defer close(r.done)
	r.ws.SetReadLimit(r.opts.ReadLimit)
	_ = r.ws.SetReadDeadline(time.Now().Add(r.opts.PongWait))
	r.ws.SetPongHandler(func(string) error {
		return r.ws.SetReadDeadline(time.Now().Add(r.opts.PongWait))
	})
	r.pinger = time.AfterFunc(r.opts.PingInterval, r.ping)

	downDone := make(chan error, 1)
	go func() {
		err := r.pumpDown()
		r.upstreamEnded(err)
		downDone <- err
	}()
	upErr := r.pumpUp()
	r.clientEnded(upErr)
	downErr := <-downDone

	r.pinger.Stop()
	_ = r.up.Close()
	_ = r.raw.Close()
	r.ctlMu.Lock()
	r.finished = true
	r.ctlMu.Unlock()
	return endCause(upErr, downErr)
}

// ping sends a ping and schedules the next one. It runs on a timer rather
// than in a goroutine of its own, so an idle stream costs two goroutines.
func (r *Relay) ping() {
	r.ctlMu.Lock()
	defer r.ctlMu.Unlock()
	if r.finished {
		return
	}
	if err := r.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(r.opts.WriteTimeout)); err != nil {
		// The read deadline ends the stream if the browser is gone.
		return
	}
	r.pinger.Reset(r.opts.PingInterval)
}

// sendClose sends one close frame to the browser, at most once.
func (r *Relay) sendClose(code int, text string, wait time.Duration) {
	if !r.closeSent.CompareAndSwap(false, true) {
		return
	}
	r.ctlMu.Lock()
	defer r.ctlMu.Unlock()
	if r.finished {
		return
	}
	_ = r.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(wait))
}

// upstreamEnded runs when the session side stops: the session closed the
// stream, or writing to the browser failed. The browser gets a close frame
// and CloseGrace to answer it, after which its reader gives up.
func (r *Relay) upstreamEnded(err error) {
	var ce *clientError
	if errors.As(err, &ce) {
		// The browser is gone or stuck; nothing more can reach it.
		r.end()
		return
	}
	code, text := websocket.CloseNormalClosure, "session closed the connection"
	if err != nil && !errors.Is(err, errUpstreamEOF) {
		code, text = websocket.CloseInternalServerErr, "lost the connection to the session"
	}
	r.sendClose(code, text, r.opts.CloseGrace)
	_ = r.up.Close()
	_ = r.ws.SetReadDeadline(time.Now().Add(r.opts.CloseGrace))
}

// clientEnded runs when the browser side stops: it closed, went silent past
// PongWait, broke the protocol, or writing to the session failed.
func (r *Relay) clientEnded(err error) {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce):
		// The library already answered the browser's close frame.
		r.closeSent.Store(true)
	case errors.Is(err, errTextMessage):
		r.sendClose(websocket.CloseUnsupportedData, "binary messages only", r.opts.CloseGrace)
	case errors.Is(err, websocket.ErrReadLimit):
		// The library already sent 1009.
		r.closeSent.Store(true)
	default:
		var ue *upstreamError
		if errors.As(err, &ue) {
			r.sendClose(websocket.CloseInternalServerErr, "lost the connection to the session", r.opts.CloseGrace)
		}
	}
	r.end()
}

// end closes both connections, which makes both goroutines return.
func (r *Relay) end() {
	r.endOnce.Do(func() {
		_ = r.up.Close()
		_ = r.raw.Close()
	})
}

// Close ends the relay: the browser gets a close frame with code and text
// (sent within CloseGrace at most), then both connections close and both
// goroutines return. It does not wait for Run; use Done for that.
func (r *Relay) Close(code int, text string) {
	reason := closeReasonOf(text)
	r.closedFor.CompareAndSwap(nil, &reason)
	r.sendClose(code, text, r.opts.CloseGrace)
	r.end()
}
