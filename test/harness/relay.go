package harness

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/atrium-hq/atrium/test/rfb"
)

// RelayURL turns the url a connect answer holds (a path and query on the
// core) into the WebSocket URL to dial.
func RelayURL(base, rel string) string {
	switch {
	case strings.HasPrefix(base, "https://"):
		return "wss://" + strings.TrimPrefix(base, "https://") + rel
	default:
		return "ws://" + strings.TrimPrefix(base, "http://") + rel
	}
}

// DialRelay opens the relay WebSocket at rel (a path and query on base)
// with the given Origin and returns the RFB byte stream. A refusal returns
// the HTTP response (body readable) and an error.
func DialRelay(ctx context.Context, base, rel, origin string) (net.Conn, *http.Response, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return rfb.DialWebSocket(ctx, RelayURL(base, rel), h)
}

// Desktop is an RFB connection to a session through the relay.
type Desktop struct {
	*rfb.Client
	// Offered is the list of security types the relay offered the client
	// in its greeting.
	Offered []byte
}

// OpenDesktop asks the API for a ticket to session id, opens the relay
// with the core's own origin, and runs the RFB handshake without a
// password: the relay has authenticated to the session's VNC server itself
// and must offer the browser security type None alone.
func OpenDesktop(ctx context.Context, c *Client, id string) (*Desktop, error) {
	t, err := c.Connect(ctx, id)
	if err != nil {
		return nil, err
	}
	return OpenTicket(ctx, c.Base, t.URL)
}

// OpenTicket opens the relay at rel (a connect answer's url) with base as
// the Origin and runs the RFB handshake without a password, within ctx.
func OpenTicket(ctx context.Context, base, rel string) (*Desktop, error) {
	conn, resp, err := DialRelay(ctx, base, rel, base)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("the relay refused the upgrade with %s: %w", resp.Status, err)
		}
		return nil, err
	}
	tap := &greetingTap{Conn: conn}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	cl, err := rfb.Handshake(tap, "")
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("RFB handshake through the relay: %w", err)
	}
	_ = conn.SetDeadline(time.Time{})
	offered, err := tap.securityTypes()
	if err != nil {
		_ = cl.Close()
		return nil, err
	}
	return &Desktop{Client: cl, Offered: offered}, nil
}

// greetingTap remembers the first bytes the server sends, which hold the
// security types it offers (RFC 6143 §7.1.2), so a test can check exactly
// what was offered and not only what the client picked.
type greetingTap struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

// greetingBytes is enough for the version (12), the count (1) and every
// security type a server may list (255).
const greetingBytes = 12 + 1 + 255

func (g *greetingTap) Read(p []byte) (int, error) {
	n, err := g.Conn.Read(p)
	g.mu.Lock()
	if room := greetingBytes - g.buf.Len(); room > 0 {
		g.buf.Write(p[:min(n, room)])
	}
	g.mu.Unlock()
	return n, err
}

func (g *greetingTap) securityTypes() ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.buf.Bytes()
	if len(b) < 13 || len(b) < 13+int(b[12]) {
		return nil, fmt.Errorf("the relay's greeting is %d bytes, too short to list security types", len(b))
	}
	return append([]byte(nil), b[13:13+int(b[12])]...), nil
}

// FirstFramebuffer asks for the whole screen and reads updates until one
// carries pixels: TigerVNC answers the first, non-incremental request with
// the screen layout alone, so later requests are incremental, as noVNC's.
// It returns how many pixel bytes arrived. ctx bounds the wait.
func FirstFramebuffer(ctx context.Context, c *rfb.Client) (int, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(30 * time.Second)
	}
	_ = c.Conn().SetReadDeadline(dl)
	defer c.Conn().SetReadDeadline(time.Time{})
	for i := 0; ; i++ {
		init := c.ServerInit()
		if err := c.FramebufferUpdateRequest(i > 0, 0, 0, init.Width, init.Height); err != nil {
			return 0, err
		}
		u, err := c.ReadFramebufferUpdate()
		if err != nil {
			return 0, fmt.Errorf("wait for the first framebuffer update: %w", err)
		}
		pixels := 0
		for _, r := range u.Rects {
			if r.Encoding == rfb.EncodingRaw || r.Encoding == rfb.EncodingCopyRect {
				pixels += len(r.Data)
			}
		}
		if pixels > 0 {
			return pixels, nil
		}
	}
}
