//go:build !race

package relay_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/relay"
)

// The benchmarks drive one relay over loopback with the hand-rolled client
// of alloc_test.go, so a CPU profile (go test -bench . -cpuprofile) shows
// the relay's own work per direction with little client noise. They report
// throughput only as a guide: client, relay and upstream share the CPUs.

// sourceForever writes 64 KiB chunks until the connection fails: the
// session streaming framebuffer updates.
func sourceForever(c net.Conn) {
	defer c.Close()
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	for {
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
}

// sink reads and discards through one reused buffer.
func sink(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 256<<10)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// BenchmarkDown measures the session→browser direction in 32 KiB steps,
// for a few copy buffer sizes (the largest message the relay sends).
func BenchmarkDown(b *testing.B) {
	for _, size := range []int{32 << 10, 64 << 10, 128 << 10} {
		b.Run("buffer="+byteSize(size), func(b *testing.B) {
			e := newEnv(b, sourceForever, relay.Options{BufferSize: size})
			rc := newRawClient(b, e, 1)
			buf := make([]byte, 256<<10)
			const step = 32 << 10
			b.SetBytes(step)
			b.ResetTimer()
			for range b.N {
				if err := rc.recv(buf, step); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUp measures the browser→session direction: masked binary
// messages of 32 KiB (bulk, e.g. a clipboard or file) and 16 B (noVNC's
// input events), which the relay must unmask.
func BenchmarkUp(b *testing.B) {
	for _, size := range []int{32 << 10, 16} {
		b.Run(byteSize(size), func(b *testing.B) {
			e := newEnv(b, sink, relay.Options{})
			rc := newRawClient(b, e, size)
			rc.setMask([4]byte{0x12, 0x34, 0x56, 0x78})
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				if err := rc.send(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRoundTrip64 measures one 64-byte message to an echoing session
// and back.
func BenchmarkRoundTrip64(b *testing.B) {
	e := newEnv(b, echo, relay.Options{})
	rc := newRawClient(b, e, 64)
	rc.setMask([4]byte{0x12, 0x34, 0x56, 0x78})
	buf := make([]byte, 64<<10)
	b.ResetTimer()
	for range b.N {
		if err := rc.send(); err != nil {
			b.Fatal(err)
		}
		if err := rc.recv(buf, 64); err != nil {
			b.Fatal(err)
		}
	}
}

func byteSize(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
