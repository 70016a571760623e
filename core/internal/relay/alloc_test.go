//go:build !race

// The race detector makes sync.Pool drop buffers at random, so allocation
// counts only mean something without it.

package relay_test

import (
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/relay"
)

// rawClient speaks WebSocket frames by hand over the upgraded socket, with
// buffers it reuses, so that every allocation a measurement sees belongs to
// the relay (and the WebSocket library inside it), not to the client.
type rawClient struct {
	c      net.Conn
	frame  []byte
	header [10]byte
}

func newRawClient(t testing.TB, e *env, size int) *rawClient {
	ws := e.open(t, "u1", "s1")
	rc := &rawClient{c: ws.NetConn()}
	// A masked binary frame with a zero masking key: valid, and the payload
	// goes out unchanged.
	switch {
	case size < 126:
		rc.frame = append(rc.frame, 0x82, 0x80|byte(size))
	default:
		rc.frame = append(rc.frame, 0x82, 0x80|126, byte(size>>8), byte(size))
	}
	rc.frame = append(rc.frame, 0, 0, 0, 0)
	rc.frame = append(rc.frame, make([]byte, size)...)
	return rc
}

// setMask gives the client's frame a real masking key, as a browser's has,
// so the relay's unmasking does the work it does in production.
func (rc *rawClient) setMask(key [4]byte) {
	at := 2
	if rc.frame[1]&0x7f == 126 {
		at = 4
	}
	copy(rc.frame[at:at+4], key[:])
	payload := rc.frame[at+4:]
	for i := range payload {
		payload[i] = key[i&3] // a zero payload, masked
	}
}

// send writes one binary message of the client's size.
func (rc *rawClient) send() error {
	_, err := rc.c.Write(rc.frame)
	return err
}

// recv reads unmasked binary frames from the relay into buf until n payload
// bytes have arrived.
func (rc *rawClient) recv(buf []byte, n int) error {
	for got := 0; got < n; {
		if _, err := io.ReadFull(rc.c, rc.header[:2]); err != nil {
			return err
		}
		size := int(rc.header[1] & 0x7f)
		switch size {
		case 126:
			if _, err := io.ReadFull(rc.c, rc.header[2:4]); err != nil {
				return err
			}
			size = int(binary.BigEndian.Uint16(rc.header[2:4]))
		case 127:
			if _, err := io.ReadFull(rc.c, rc.header[2:10]); err != nil {
				return err
			}
			size = int(binary.BigEndian.Uint64(rc.header[2:10]))
		}
		if _, err := io.ReadFull(rc.c, buf[:size]); err != nil {
			return err
		}
		got += size
	}
	return nil
}

// TestSteadyStateAllocations counts heap allocations per relayed message
// once buffers are warm. The relay's own code allocates nothing per
// message; fasthttp/websocket allocates one small object per message in
// each direction (NextReader's message reader, 8 B; WriteBufferPool's boxed
// buffer on Put, 24 B), which is what the bounds allow. io.Copy from the
// message reader would add a 32 KiB buffer per message instead.
func TestSteadyStateAllocations(t *testing.T) {
	e := newEnv(t, echo, relay.Options{})

	small := newRawClient(t, e, 64)
	buf := make([]byte, 64<<10)
	roundTrip := func() {
		if err := small.send(); err != nil {
			t.Fatalf("send: %v", err)
		}
		if err := small.recv(buf, 64); err != nil {
			t.Fatalf("recv: %v", err)
		}
	}
	for range 100 {
		roundTrip()
	}
	perRoundTrip := testing.AllocsPerRun(2000, roundTrip)
	t.Logf("64-byte round trip (one message each way): %.2f allocations", perRoundTrip)
	if perRoundTrip > 2.2 {
		t.Errorf("a 64-byte round trip allocates %.2f objects; want at most 2 (one per direction, inside the WebSocket library)", perRoundTrip)
	}

	big := newRawClient(t, e, 32<<10)
	bigTrip := func() {
		if err := big.send(); err != nil {
			t.Fatalf("send: %v", err)
		}
		if err := big.recv(buf, 32<<10); err != nil {
			t.Fatalf("recv: %v", err)
		}
	}
	for range 50 {
		bigTrip()
	}
	perBig := testing.AllocsPerRun(500, bigTrip)
	t.Logf("32 KiB round trip: %.2f allocations", perBig)
	// The echo may split 32 KiB into a few reads, each one message.
	if perBig > 8 {
		t.Errorf("a 32 KiB round trip allocates %.2f objects; want a handful at most", perBig)
	}
}
