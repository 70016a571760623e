package relay

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

// FuzzBinaryFrameHeader: the header the relay writes for n payload bytes
// is a final unmasked binary frame that a WebSocket reader decodes back
// to exactly n, in the shortest length form RFC 6455 §5.2 requires.
func FuzzBinaryFrameHeader(f *testing.F) {
	for _, n := range []int{0, 125, 126, 0xffff, 0x10000, 1 << 30} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int) {
		if n < 0 {
			return
		}
		var h [frameHeaderMax]byte
		k := binaryFrameHeader(&h, n)
		if h[0] != 0x82 || h[1]&0x80 != 0 {
			t.Fatalf("n=%d: first bytes %#x %#x, want FIN binary unmasked", n, h[0], h[1])
		}
		var got uint64
		switch l := h[1] & 0x7f; {
		case l <= 125:
			got = uint64(l)
			if k != 2 {
				t.Fatalf("n=%d: header length %d", n, k)
			}
		case l == 126:
			got = uint64(binary.BigEndian.Uint16(h[2:]))
			if k != 4 || got <= 125 {
				t.Fatalf("n=%d: 16-bit form, header %d, length %d", n, k, got)
			}
		default:
			got = binary.BigEndian.Uint64(h[2:])
			if k != 10 || got <= 0xffff || got>>63 != 0 {
				t.Fatalf("n=%d: 64-bit form, header %d, length %d", n, k, got)
			}
		}
		if got != uint64(n) {
			t.Fatalf("n=%d decodes as %d", n, got)
		}
	})
}

// FuzzCheckEndpoint: an endpoint a plugin returns is accepted only as a
// literal unicast IP:port with a non-zero port inside the allowed
// networks, and what is returned is that address.
func FuzzCheckEndpoint(f *testing.F) {
	for _, s := range []string{"10.1.2.3:5901", "[::ffff:10.1.2.3]:80", "[fe80::1%eth0]:1", "0.0.0.0:1", "example.test:80", "10.1.2.3:0", "224.0.0.1:5"} {
		f.Add(s)
	}
	allowed := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	f.Fuzz(func(t *testing.T, endpoint string) {
		ap, err := CheckEndpoint(endpoint, allowed)
		if err != nil {
			if !errors.Is(err, ErrEndpointNotAllowed) {
				t.Fatalf("%q: error %v does not wrap ErrEndpointNotAllowed", endpoint, err)
			}
			return
		}
		if ap.Port() == 0 || ap.Addr().Zone() != "" || ap.Addr().Is4In6() {
			t.Fatalf("%q accepted as %v", endpoint, ap)
		}
		if !allowed[0].Contains(ap.Addr()) && !allowed[1].Contains(ap.Addr()) {
			t.Fatalf("%q accepted as %v, outside the allowed networks", endpoint, ap)
		}
	})
}
