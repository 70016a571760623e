// Package rfb is a small RFB (VNC) 3.8 client for tests: it reads a server's
// greeting, authenticates with VNC authentication, and exchanges the few
// messages a test needs to show that a desktop is really there and answers
// (framebuffer updates, key and pointer events, desktop resizing).
//
// It is deliberately not a viewer. It decodes only the encodings it
// announces (Raw and CopyRect, plus the DesktopSize and ExtendedDesktopSize
// pseudo-encodings), so every update a server sends it can be parsed
// without guessing. The specification is RFC 6143 plus the community
// extensions documented at https://github.com/rfbproto/rfbproto.
package rfb

import (
	"bufio"
	"context"
	"crypto/des"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// ProtocolVersion is the only version this client speaks, as it appears on
// the wire without its trailing newline.
const ProtocolVersion = "RFB 003.008"

// Security types (RFC 6143 §7.1.2).
const (
	SecurityNone    = 1
	SecurityVNCAuth = 2
)

// Encodings this client can decode (RFC 6143 §7.7 and the rfbproto
// extensions). Pseudo-encodings are negative.
const (
	EncodingRaw                 int32 = 0
	EncodingCopyRect            int32 = 1
	EncodingDesktopSize         int32 = -223
	EncodingExtendedDesktopSize int32 = -308
)

// Message types.
const (
	msgSetPixelFormat           = 0
	msgSetEncodings             = 2
	msgFramebufferUpdateRequest = 3
	msgKeyEvent                 = 4
	msgPointerEvent             = 5
	msgSetDesktopSize           = 251

	msgFramebufferUpdate   = 0
	msgSetColourMapEntries = 1
	msgBell                = 2
	msgServerCutText       = 3
)

// maxString bounds the strings a server may send (reasons, names, cut
// text): everything a session sends is untrusted, and a test should fail,
// not allocate gigabytes, when a server misbehaves.
const maxString = 1 << 20

// ErrAuthFailed is returned by Handshake when the server refuses the
// password.
var ErrAuthFailed = errors.New("rfb: authentication failed")

// PixelFormat describes how a pixel is encoded (RFC 6143 §7.4).
type PixelFormat struct {
	BitsPerPixel, Depth uint8
	BigEndian           bool
	TrueColour          bool
	RedMax, GreenMax    uint16
	BlueMax             uint16
	RedShift            uint8
	GreenShift          uint8
	BlueShift           uint8
}

// BytesPerPixel is the size of one pixel in Raw rectangles.
func (f PixelFormat) BytesPerPixel() int { return int(f.BitsPerPixel) / 8 }

// ServerInit is what the server says about its desktop after the handshake.
type ServerInit struct {
	Width, Height uint16
	Format        PixelFormat
	Name          string
}

// Rect is one rectangle of a framebuffer update.
type Rect struct {
	X, Y, Width, Height uint16
	Encoding            int32
	// Data holds the rectangle's payload as sent: pixels for Raw, the
	// source position for CopyRect, the screen layout for
	// ExtendedDesktopSize, nothing for DesktopSize.
	Data []byte
}

// Update is one FramebufferUpdate message.
type Update struct {
	Rects []Rect
}

// Client is one authenticated RFB connection. Its methods are not safe for
// concurrent use, except that one goroutine may read updates (and call
// ServerInit) while another sends requests and events.
type Client struct {
	conn net.Conn
	r    *bufio.Reader
	init ServerInit
}

// Dial connects to addr ("host:port") and runs Handshake. The context bounds
// the whole handshake, not the life of the connection.
func Dial(ctx context.Context, addr, password string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("rfb: dial %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := Handshake(conn, password)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return c, nil
}

// ReadVersion reads the server's 12-byte protocol greeting and returns it
// without the newline, e.g. "RFB 003.008". It is what a readiness probe
// checks.
func ReadVersion(r io.Reader) (string, error) {
	var b [12]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("rfb: read greeting: %w", err)
	}
	if !strings.HasPrefix(string(b[:]), "RFB ") || b[11] != '\n' {
		return "", fmt.Errorf("rfb: greeting %q is not an RFB protocol version; is this a VNC server?", b[:])
	}
	return string(b[:11]), nil
}

// Handshake runs the RFB 3.8 handshake on conn: version, VNC authentication
// with password (or no authentication when the server offers only that and
// password is empty), ClientInit asking to share the desktop, and
// ServerInit. It then announces the encodings the client decodes. It
// returns ErrAuthFailed, wrapped with the server's reason, when the server
// refuses the password. The caller owns conn; Client.Close closes it.
func Handshake(conn net.Conn, password string) (*Client, error) {
	c := &Client{conn: conn, r: bufio.NewReaderSize(conn, 64<<10)}
	version, err := ReadVersion(c.r)
	if err != nil {
		return nil, err
	}
	if version != ProtocolVersion {
		return nil, fmt.Errorf("rfb: server speaks %q; this client speaks only %q", version, ProtocolVersion)
	}
	if _, err := io.WriteString(conn, ProtocolVersion+"\n"); err != nil {
		return nil, fmt.Errorf("rfb: send version: %w", err)
	}
	if err := c.authenticate(password); err != nil {
		return nil, err
	}
	// ClientInit: share the desktop, as noVNC does, so tests do not
	// disconnect other viewers.
	if _, err := conn.Write([]byte{1}); err != nil {
		return nil, fmt.Errorf("rfb: send ClientInit: %w", err)
	}
	if c.init, err = c.readServerInit(); err != nil {
		return nil, err
	}
	if err := c.SetEncodings(EncodingRaw, EncodingCopyRect, EncodingDesktopSize, EncodingExtendedDesktopSize); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Client) authenticate(password string) error {
	n, err := c.r.ReadByte()
	if err != nil {
		return fmt.Errorf("rfb: read security types: %w", err)
	}
	if n == 0 {
		reason, err := c.readString()
		if err != nil {
			return fmt.Errorf("rfb: server refused the connection and its reason could not be read: %w", err)
		}
		return fmt.Errorf("rfb: server refused the connection: %s", reason)
	}
	types := make([]byte, n)
	if _, err := io.ReadFull(c.r, types); err != nil {
		return fmt.Errorf("rfb: read security types: %w", err)
	}
	var chosen byte
	for _, t := range types {
		if t == SecurityVNCAuth || (t == SecurityNone && password == "" && chosen == 0) {
			chosen = t
		}
	}
	if chosen == 0 {
		return fmt.Errorf("rfb: server offers security types %v; this client supports 2 (VNC authentication) and, without a password, 1 (none)", types)
	}
	if _, err := c.conn.Write([]byte{chosen}); err != nil {
		return fmt.Errorf("rfb: choose security type: %w", err)
	}
	if chosen == SecurityVNCAuth {
		var challenge [16]byte
		if _, err := io.ReadFull(c.r, challenge[:]); err != nil {
			return fmt.Errorf("rfb: read VNC authentication challenge: %w", err)
		}
		resp := ChallengeResponse(password, challenge)
		if _, err := c.conn.Write(resp[:]); err != nil {
			return fmt.Errorf("rfb: send VNC authentication response: %w", err)
		}
	}
	// RFB 3.8 sends SecurityResult for every type, "none" included.
	var result uint32
	if err := binary.Read(c.r, binary.BigEndian, &result); err != nil {
		return fmt.Errorf("rfb: read security result: %w", err)
	}
	if result != 0 {
		reason, err := c.readString()
		if err != nil {
			return fmt.Errorf("%w (the reason could not be read: %v)", ErrAuthFailed, err)
		}
		return fmt.Errorf("%w: %s", ErrAuthFailed, reason)
	}
	return nil
}

// ChallengeResponse answers a VNC authentication challenge: the challenge
// encrypted with DES in ECB mode, keyed by the password's first eight bytes
// (zero-padded) with the bits of each byte reversed. The reversal is a
// historical quirk of the original VNC's DES code, which every VNC server
// reproduces.
func ChallengeResponse(password string, challenge [16]byte) [16]byte {
	var key [8]byte
	copy(key[:], password)
	for i, b := range key {
		key[i] = reverseBits(b)
	}
	// des.NewCipher fails only for a key that is not 8 bytes long.
	block, err := des.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	var out [16]byte
	block.Encrypt(out[:8], challenge[:8])
	block.Encrypt(out[8:], challenge[8:])
	return out
}

func reverseBits(b byte) byte {
	var r byte
	for i := 0; i < 8; i++ {
		r = r<<1 | b&1
		b >>= 1
	}
	return r
}

func (c *Client) readServerInit() (ServerInit, error) {
	var hdr [20]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return ServerInit{}, fmt.Errorf("rfb: read ServerInit: %w", err)
	}
	name, err := c.readString()
	if err != nil {
		return ServerInit{}, fmt.Errorf("rfb: read desktop name: %w", err)
	}
	return ServerInit{
		Width:  binary.BigEndian.Uint16(hdr[0:]),
		Height: binary.BigEndian.Uint16(hdr[2:]),
		Format: decodePixelFormat(hdr[4:20]),
		Name:   name,
	}, nil
}

func decodePixelFormat(b []byte) PixelFormat {
	return PixelFormat{
		BitsPerPixel: b[0],
		Depth:        b[1],
		BigEndian:    b[2] != 0,
		TrueColour:   b[3] != 0,
		RedMax:       binary.BigEndian.Uint16(b[4:]),
		GreenMax:     binary.BigEndian.Uint16(b[6:]),
		BlueMax:      binary.BigEndian.Uint16(b[8:]),
		RedShift:     b[10],
		GreenShift:   b[11],
		BlueShift:    b[12],
	}
}

// readString reads a u32 length and that many bytes.
func (c *Client) readString() (string, error) {
	var n uint32
	if err := binary.Read(c.r, binary.BigEndian, &n); err != nil {
		return "", err
	}
	if n > maxString {
		return "", fmt.Errorf("string of %d bytes exceeds the %d-byte limit", n, maxString)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(c.r, b); err != nil {
		return "", err
	}
	return string(b), nil
}

// ServerInit returns what the server sent at the end of the handshake,
// with the size updated by every desktop-size rectangle read since.
func (c *Client) ServerInit() ServerInit { return c.init }

// Conn returns the underlying connection, e.g. to set deadlines.
func (c *Client) Conn() net.Conn { return c.conn }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// SetEncodings tells the server which encodings the client accepts, in
// order of preference. Handshake already announced every encoding this
// client decodes; announcing others makes ReadFramebufferUpdate fail when
// the server uses them.
func (c *Client) SetEncodings(encodings ...int32) error {
	b := make([]byte, 4+4*len(encodings))
	b[0] = msgSetEncodings
	binary.BigEndian.PutUint16(b[2:], uint16(len(encodings)))
	for i, e := range encodings {
		binary.BigEndian.PutUint32(b[4+4*i:], uint32(e))
	}
	return c.send("SetEncodings", b)
}

// FramebufferUpdateRequest asks for the given area; incremental asks only
// for what changed since the last update, and the server holds such a
// request until something changes. TigerVNC answers a non-incremental
// request with the screen layout alone (an ExtendedDesktopSize rectangle,
// when announced) and sends the pixels on the next request, so ask for the
// whole screen once, then incrementally, as noVNC does.
func (c *Client) FramebufferUpdateRequest(incremental bool, x, y, width, height uint16) error {
	b := make([]byte, 10)
	b[0] = msgFramebufferUpdateRequest
	if incremental {
		b[1] = 1
	}
	binary.BigEndian.PutUint16(b[2:], x)
	binary.BigEndian.PutUint16(b[4:], y)
	binary.BigEndian.PutUint16(b[6:], width)
	binary.BigEndian.PutUint16(b[8:], height)
	return c.send("FramebufferUpdateRequest", b)
}

// KeyEvent presses (down) or releases a key, named by its X keysym (e.g.
// 0x61 for "a", 0xff0d for Return).
func (c *Client) KeyEvent(keysym uint32, down bool) error {
	b := make([]byte, 8)
	b[0] = msgKeyEvent
	if down {
		b[1] = 1
	}
	binary.BigEndian.PutUint32(b[4:], keysym)
	return c.send("KeyEvent", b)
}

// PointerEvent moves the pointer to (x, y) with the buttons in mask held
// (bit 0 is the left button).
func (c *Client) PointerEvent(mask uint8, x, y uint16) error {
	b := make([]byte, 6)
	b[0] = msgPointerEvent
	b[1] = mask
	binary.BigEndian.PutUint16(b[2:], x)
	binary.BigEndian.PutUint16(b[4:], y)
	return c.send("PointerEvent", b)
}

// SetDesktopSize asks the server to resize the desktop to one screen of
// width × height. The server answers with an ExtendedDesktopSize rectangle
// in a later update; DesktopSizeResult reads its outcome.
func (c *Client) SetDesktopSize(width, height uint16) error {
	b := make([]byte, 8+16)
	b[0] = msgSetDesktopSize
	binary.BigEndian.PutUint16(b[2:], width)
	binary.BigEndian.PutUint16(b[4:], height)
	b[6] = 1 // one screen
	// The screen: id 0 at (0, 0), the whole desktop, no flags.
	binary.BigEndian.PutUint16(b[8+8:], width)
	binary.BigEndian.PutUint16(b[8+10:], height)
	return c.send("SetDesktopSize", b)
}

func (c *Client) send(what string, b []byte) error {
	if _, err := c.conn.Write(b); err != nil {
		return fmt.Errorf("rfb: send %s: %w", what, err)
	}
	return nil
}

// ReadFramebufferUpdate reads server messages until a FramebufferUpdate
// arrives and returns it. Colour map entries, bells and cut text that
// arrive first are read and dropped. A DesktopSize or ExtendedDesktopSize
// rectangle updates ServerInit's size.
func (c *Client) ReadFramebufferUpdate() (Update, error) {
	for {
		t, err := c.r.ReadByte()
		if err != nil {
			return Update{}, fmt.Errorf("rfb: read server message: %w", err)
		}
		switch t {
		case msgFramebufferUpdate:
			return c.readUpdate()
		case msgSetColourMapEntries:
			var hdr [5]byte // padding, first colour, number of colours
			if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
				return Update{}, fmt.Errorf("rfb: read SetColourMapEntries: %w", err)
			}
			if _, err := c.r.Discard(6 * int(binary.BigEndian.Uint16(hdr[3:]))); err != nil {
				return Update{}, fmt.Errorf("rfb: read SetColourMapEntries: %w", err)
			}
		case msgBell:
		case msgServerCutText:
			if _, err := c.r.Discard(3); err != nil {
				return Update{}, fmt.Errorf("rfb: read ServerCutText: %w", err)
			}
			if _, err := c.readString(); err != nil {
				return Update{}, fmt.Errorf("rfb: read ServerCutText: %w", err)
			}
		default:
			return Update{}, fmt.Errorf("rfb: server sent message type %d, which this client did not ask for", t)
		}
	}
}

func (c *Client) readUpdate() (Update, error) {
	var hdr [3]byte // padding, number of rectangles
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return Update{}, fmt.Errorf("rfb: read FramebufferUpdate: %w", err)
	}
	n := int(binary.BigEndian.Uint16(hdr[1:]))
	u := Update{Rects: make([]Rect, 0, n)}
	for i := 0; i < n; i++ {
		var rh [12]byte
		if _, err := io.ReadFull(c.r, rh[:]); err != nil {
			return Update{}, fmt.Errorf("rfb: read rectangle %d of %d: %w", i+1, n, err)
		}
		r := Rect{
			X:        binary.BigEndian.Uint16(rh[0:]),
			Y:        binary.BigEndian.Uint16(rh[2:]),
			Width:    binary.BigEndian.Uint16(rh[4:]),
			Height:   binary.BigEndian.Uint16(rh[6:]),
			Encoding: int32(binary.BigEndian.Uint32(rh[8:])),
		}
		data, err := c.readRectData(r)
		if err != nil {
			return Update{}, fmt.Errorf("rfb: read rectangle %d of %d (encoding %d): %w", i+1, n, r.Encoding, err)
		}
		r.Data = data
		u.Rects = append(u.Rects, r)
	}
	return u, nil
}

func (c *Client) readRectData(r Rect) ([]byte, error) {
	switch r.Encoding {
	case EncodingRaw:
		return c.readN(int(r.Width) * int(r.Height) * c.init.Format.BytesPerPixel())
	case EncodingCopyRect:
		return c.readN(4)
	case EncodingDesktopSize:
		c.init.Width, c.init.Height = r.Width, r.Height
		return nil, nil
	case EncodingExtendedDesktopSize:
		var hdr [4]byte // number of screens, padding
		if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
			return nil, err
		}
		screens, err := c.readN(16 * int(hdr[0]))
		if err != nil {
			return nil, err
		}
		// Y carries the result of a SetDesktopSize; the size changes only
		// when it succeeded.
		if r.Y == 0 {
			c.init.Width, c.init.Height = r.Width, r.Height
		}
		return append(hdr[:], screens...), nil
	default:
		return nil, errors.New("the client did not announce this encoding and cannot decode it")
	}
}

func (c *Client) readN(n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := io.ReadFull(c.r, b)
	return b, err
}

// DesktopSizeResult reports the outcome of a SetDesktopSize from an
// ExtendedDesktopSize rectangle: ok is false for other rectangles. Status
// 0 is success; 1 prohibited, 2 out of resources, 3 invalid layout.
func DesktopSizeResult(r Rect) (fromClient bool, status uint16, ok bool) {
	if r.Encoding != EncodingExtendedDesktopSize {
		return false, 0, false
	}
	// X is the reason: 0 server, 1 this client, 2 another client.
	return r.X == 1, r.Y, true
}
