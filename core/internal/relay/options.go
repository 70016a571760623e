package relay

import (
	"fmt"
	"time"
)

// Default relay settings. They suit noVNC: a ping every 20 s keeps idle
// proxies and NATs from dropping the stream, and a peer that has answered
// nothing for 60 s is treated as gone.
const (
	DefaultPingInterval = 20 * time.Second
	DefaultPongWait     = 60 * time.Second
	DefaultWriteTimeout = 30 * time.Second
	DefaultCloseGrace   = time.Second
	// DefaultReadLimit bounds one message from the browser. noVNC sends
	// input events of a few bytes; the largest are clipboard transfers.
	DefaultReadLimit = 1 << 20
	// DefaultBufferSize is the size of the pooled copy buffers and the
	// largest WebSocket message the relay sends. The relay's cost is almost
	// all syscalls, one read and one writev per buffer, so a larger buffer
	// is cheaper per byte on bulk framebuffer updates: towards the browser,
	// 256 KiB measured 0.50-0.60 CPU s/GB and ~1,200-1,300 MiB/s, against
	// 0.68-0.73 and ~1,000 for 128 KiB and 0.72 and ~960 for 64 KiB. Idle
	// streams hold no copy buffer, so the size costs memory only while
	// bytes flow.
	DefaultBufferSize = 256 << 10
	// DefaultReadBufferSize is the WebSocket connection's own read buffer,
	// held for the connection's life. Large reads bypass it, so it stays
	// small to keep idle streams cheap.
	DefaultReadBufferSize = 2 << 10
)

// Options tune a Relay. The zero value means every default.
type Options struct {
	// PingInterval is how often the relay pings the browser.
	PingInterval time.Duration
	// PongWait is how long the relay waits to hear anything (a pong or a
	// message) from the browser before it ends the stream as dead. It must
	// exceed PingInterval.
	PongWait time.Duration
	// WriteTimeout bounds each write to either side; a side that accepts
	// nothing for this long is treated as gone.
	WriteTimeout time.Duration
	// CloseGrace is how long the relay waits for the browser to answer its
	// close frame before it drops the connection.
	CloseGrace time.Duration
	// ReadLimit is the largest message accepted from the browser, in bytes;
	// a larger one ends the stream with close code 1009.
	ReadLimit int64
	// BufferSize is the size of the copy buffers, in bytes.
	BufferSize int
	// ReadBufferSize is the WebSocket connection's read buffer, in bytes;
	// Handler applies it at the upgrade.
	ReadBufferSize int
}

// withDefaults fills unset fields and checks the combination.
func (o Options) withDefaults() (Options, error) {
	if o.PingInterval == 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.PongWait == 0 {
		o.PongWait = DefaultPongWait
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.CloseGrace == 0 {
		o.CloseGrace = DefaultCloseGrace
	}
	if o.ReadLimit == 0 {
		o.ReadLimit = DefaultReadLimit
	}
	if o.BufferSize == 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.ReadBufferSize == 0 {
		o.ReadBufferSize = DefaultReadBufferSize
	}
	switch {
	case o.PingInterval < 0 || o.PongWait < 0 || o.WriteTimeout < 0 || o.CloseGrace < 0:
		return o, fmt.Errorf("relay options: durations must be positive; leave a field zero for its default")
	case o.PongWait <= o.PingInterval:
		return o, fmt.Errorf("relay options: PongWait (%s) must exceed PingInterval (%s), or every idle stream would be cut before its pong arrives", o.PongWait, o.PingInterval)
	case o.ReadLimit < 0:
		return o, fmt.Errorf("relay options: ReadLimit %d is negative; leave it zero for %d", o.ReadLimit, DefaultReadLimit)
	case o.BufferSize < 512 || o.BufferSize > 1<<20:
		return o, fmt.Errorf("relay options: BufferSize %d is outside 512 B to 1 MiB; leave it zero for %d", o.BufferSize, DefaultBufferSize)
	case o.ReadBufferSize < 128 || o.ReadBufferSize > 1<<20:
		return o, fmt.Errorf("relay options: ReadBufferSize %d is outside 128 B to 1 MiB; leave it zero for %d", o.ReadBufferSize, DefaultReadBufferSize)
	}
	return o, nil
}
