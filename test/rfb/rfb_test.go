package rfb

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestChallengeResponseMatchesTigerVNC checks the DES step against TigerVNC
// itself. `vncpasswd -f` stores a password as the password encrypted with
// VNC's DES under a fixed key, the same operation as answering a challenge
// with that key as the password. The expected bytes were produced by
// TigerVNC 1.12's vncpasswd in the atrium/desktop image:
//
//	printf 'atrium12\n' | docker run --rm -i --entrypoint vncpasswd atrium/desktop:1 -f | xxd -p
func TestChallengeResponseMatchesTigerVNC(t *testing.T) {
	fixedKey := string([]byte{23, 82, 107, 6, 35, 78, 88, 7})
	var challenge [16]byte
	copy(challenge[:8], "atrium12")
	copy(challenge[8:], "atrium12")
	got := ChallengeResponse(fixedKey, challenge)
	const want = "76752359c1149400"
	if hex.EncodeToString(got[:8]) != want {
		t.Fatalf("ChallengeResponse = %x, want %s (TigerVNC's vncpasswd -f)", got[:8], want)
	}
	if !bytes.Equal(got[:8], got[8:]) {
		t.Fatalf("the two halves of an ECB response to two equal blocks differ: %x", got)
	}
}

func TestChallengeResponseUsesOnlyEightBytes(t *testing.T) {
	challenge := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	if ChallengeResponse("password", challenge) != ChallengeResponse("password-and-more", challenge) {
		t.Fatal("VNC authentication uses the password's first 8 bytes only; the responses differ")
	}
	if ChallengeResponse("passwore", challenge) == ChallengeResponse("password", challenge) {
		t.Fatal("different passwords gave the same response")
	}
}

func TestReverseBits(t *testing.T) {
	for in, want := range map[byte]byte{0x00: 0x00, 0x01: 0x80, 0x80: 0x01, 0xf0: 0x0f, 0xa5: 0xa5, 0x61: 0x86} {
		if got := reverseBits(in); got != want {
			t.Errorf("reverseBits(%#02x) = %#02x, want %#02x", in, got, want)
		}
	}
}

func TestReadVersion(t *testing.T) {
	v, err := ReadVersion(strings.NewReader("RFB 003.008\n"))
	if err != nil || v != "RFB 003.008" {
		t.Fatalf("ReadVersion = %q, %v; want RFB 003.008", v, err)
	}
	if _, err := ReadVersion(strings.NewReader("HTTP/1.1 400")); err == nil {
		t.Fatal("ReadVersion accepted an HTTP answer")
	}
	if _, err := ReadVersion(strings.NewReader("RFB")); err == nil {
		t.Fatal("ReadVersion accepted a short greeting")
	}
}

// fakeServer is a fake RFB server speaking the server side of the protocol
// over a net.Pipe, so the client's framing can be checked message by
// message, including answers a real server rarely sends (refusals, bells,
// colour maps). The container test in plugins/workspace-vnc runs the same
// client against the real TigerVNC.
type fakeServer struct {
	t        *testing.T
	conn     net.Conn
	password string
	// refuse, when set, is the reason the server refuses every client.
	refuse string
}

func (s *fakeServer) serve() error {
	c := s.conn
	if _, err := io.WriteString(c, "RFB 003.008\n"); err != nil {
		return err
	}
	var v [12]byte
	if _, err := io.ReadFull(c, v[:]); err != nil {
		return err
	}
	if string(v[:]) != "RFB 003.008\n" {
		return errors.New("client sent version " + string(v[:]))
	}
	if s.refuse != "" {
		_, _ = c.Write([]byte{0})
		return writeString(c, s.refuse)
	}
	if _, err := c.Write([]byte{2, 16, SecurityVNCAuth}); err != nil { // 16: a type the client must skip
		return err
	}
	var chosen [1]byte
	if _, err := io.ReadFull(c, chosen[:]); err != nil {
		return err
	}
	if chosen[0] != SecurityVNCAuth {
		return errors.New("client chose a type the server did not offer")
	}
	challenge := [16]byte{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6}
	if _, err := c.Write(challenge[:]); err != nil {
		return err
	}
	var resp [16]byte
	if _, err := io.ReadFull(c, resp[:]); err != nil {
		return err
	}
	if resp != ChallengeResponse(s.password, challenge) {
		_ = binary.Write(c, binary.BigEndian, uint32(1))
		return writeString(c, "Authentication failure")
	}
	if err := binary.Write(c, binary.BigEndian, uint32(0)); err != nil {
		return err
	}
	var shared [1]byte
	if _, err := io.ReadFull(c, shared[:]); err != nil {
		return err
	}
	if shared[0] != 1 {
		return errors.New("client did not ask to share the desktop")
	}
	// ServerInit: 64×32, 32 bpp, depth 24, little-endian true colour.
	init := []byte{0, 64, 0, 32, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0}
	if _, err := c.Write(init); err != nil {
		return err
	}
	if err := writeString(c, "fake desktop"); err != nil {
		return err
	}
	// SetEncodings from the handshake, then a FramebufferUpdateRequest.
	var enc [4]byte
	if _, err := io.ReadFull(c, enc[:]); err != nil {
		return err
	}
	if enc[0] != msgSetEncodings {
		return errors.New("client did not announce its encodings after the handshake")
	}
	if _, err := io.CopyN(io.Discard, c, 4*int64(binary.BigEndian.Uint16(enc[2:]))); err != nil {
		return err
	}
	var req [10]byte
	if _, err := io.ReadFull(c, req[:]); err != nil {
		return err
	}
	if req[0] != msgFramebufferUpdateRequest || req[1] != 0 || binary.BigEndian.Uint16(req[6:]) != 64 || binary.BigEndian.Uint16(req[8:]) != 32 {
		return errors.New("unexpected FramebufferUpdateRequest")
	}
	var msg bytes.Buffer
	msg.Write([]byte{msgBell})
	msg.Write([]byte{msgSetColourMapEntries, 0, 0, 0, 0, 2})
	msg.Write(make([]byte, 12))
	msg.Write([]byte{msgServerCutText, 0, 0, 0})
	_ = writeString(&msg, "clipboard")
	// The update: a 2×1 Raw rectangle, then a DesktopSize to 80×40.
	msg.Write([]byte{msgFramebufferUpdate, 0, 0, 2})
	msg.Write([]byte{0, 1, 0, 2, 0, 2, 0, 1, 0, 0, 0, 0})
	msg.Write([]byte{1, 2, 3, 0, 4, 5, 6, 0})
	msg.Write([]byte{0, 0, 0, 0, 0, 80, 0, 40, 0xff, 0xff, 0xff, 0x21})
	_, err := c.Write(msg.Bytes())
	return err
}

func writeString(w io.Writer, s string) error {
	if err := binary.Write(w, binary.BigEndian, uint32(len(s))); err != nil {
		return err
	}
	_, err := io.WriteString(w, s)
	return err
}

// runFake serves one fake connection and returns the client end.
func runFake(t *testing.T, s *fakeServer) (net.Conn, <-chan error) {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	deadline := time.Now().Add(10 * time.Second)
	_ = client.SetDeadline(deadline)
	_ = server.SetDeadline(deadline)
	s.t, s.conn = t, server
	done := make(chan error, 1)
	go func() { done <- s.serve() }()
	return client, done
}

func TestHandshakeAndUpdate(t *testing.T) {
	conn, done := runFake(t, &fakeServer{password: "s3cret-pw"})
	c, err := Handshake(conn, "s3cret-pw")
	if err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	init := c.ServerInit()
	if init.Width != 64 || init.Height != 32 || init.Name != "fake desktop" {
		t.Fatalf("ServerInit = %dx%d %q, want 64x32 \"fake desktop\"", init.Width, init.Height, init.Name)
	}
	f := init.Format
	if f.BitsPerPixel != 32 || f.Depth != 24 || f.BigEndian || !f.TrueColour || f.RedMax != 255 || f.RedShift != 16 || f.GreenShift != 8 {
		t.Fatalf("pixel format decoded as %+v", f)
	}
	if err := c.FramebufferUpdateRequest(false, 0, 0, 64, 32); err != nil {
		t.Fatalf("FramebufferUpdateRequest: %v", err)
	}
	u, err := c.ReadFramebufferUpdate()
	if err != nil {
		t.Fatalf("ReadFramebufferUpdate: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("fake server: %v", err)
	}
	if len(u.Rects) != 2 {
		t.Fatalf("update has %d rectangles, want 2", len(u.Rects))
	}
	raw := u.Rects[0]
	if raw.Encoding != EncodingRaw || raw.X != 1 || raw.Y != 2 || raw.Width != 2 || raw.Height != 1 || !bytes.Equal(raw.Data, []byte{1, 2, 3, 0, 4, 5, 6, 0}) {
		t.Fatalf("raw rectangle decoded as %+v", raw)
	}
	if u.Rects[1].Encoding != EncodingDesktopSize {
		t.Fatalf("second rectangle has encoding %d, want DesktopSize", u.Rects[1].Encoding)
	}
	if s := c.ServerInit(); s.Width != 80 || s.Height != 40 {
		t.Fatalf("after DesktopSize the client reports %dx%d, want 80x40", s.Width, s.Height)
	}
}

func TestHandshakeWrongPassword(t *testing.T) {
	conn, done := runFake(t, &fakeServer{password: "right-one"})
	_, err := Handshake(conn, "wrong-one")
	if !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("Handshake with a wrong password: %v, want ErrAuthFailed", err)
	}
	if !strings.Contains(err.Error(), "Authentication failure") {
		t.Fatalf("the error %q does not carry the server's reason", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("fake server: %v", err)
	}
}

func TestHandshakeRefused(t *testing.T) {
	conn, done := runFake(t, &fakeServer{refuse: "too many connections"})
	_, err := Handshake(conn, "anything")
	if err == nil || !strings.Contains(err.Error(), "too many connections") {
		t.Fatalf("Handshake with a refusing server: %v, want its reason", err)
	}
	if errors.Is(err, ErrAuthFailed) {
		t.Fatal("a refused connection is not an authentication failure")
	}
	if err := <-done; err != nil {
		t.Fatalf("fake server: %v", err)
	}
}

func TestClientMessages(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	c := &Client{conn: client}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(server)
		got <- b
	}()
	steps := []error{
		c.KeyEvent(0xff0d, true),
		c.PointerEvent(1, 300, 200),
		c.SetDesktopSize(1024, 768),
		c.FramebufferUpdateRequest(true, 0, 0, 1024, 768),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	_ = client.Close()
	want := []byte{
		4, 1, 0, 0, 0, 0, 0xff, 0x0d,
		5, 1, 1, 44, 0, 200,
		251, 0, 4, 0, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 3, 0, 0, 0, 0, 0,
		3, 1, 0, 0, 0, 0, 4, 0, 3, 0,
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("client sent\n%v\nwant\n%v", b, want)
	}
}

func TestDesktopSizeResult(t *testing.T) {
	fromClient, status, ok := DesktopSizeResult(Rect{X: 1, Y: 0, Encoding: EncodingExtendedDesktopSize})
	if !ok || !fromClient || status != 0 {
		t.Fatalf("DesktopSizeResult = %v, %d, %v; want true, 0, true", fromClient, status, ok)
	}
	if _, _, ok := DesktopSizeResult(Rect{Encoding: EncodingRaw}); ok {
		t.Fatal("DesktopSizeResult accepted a Raw rectangle")
	}
}
