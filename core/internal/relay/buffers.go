package relay

import "sync"

// pools holds one buffer pool per buffer size, shared by every relay of
// that size, so idle streams hold no copy buffer at all.
var pools sync.Map // int → *sync.Pool of *[]byte

// bufferPool returns the pool of size-byte buffers.
func bufferPool(size int) *sync.Pool {
	if p, ok := pools.Load(size); ok {
		return p.(*sync.Pool)
	}
	p, _ := pools.LoadOrStore(size, &sync.Pool{New: func() any {
		b := make([]byte, size)
		return &b
	}})
	return p.(*sync.Pool)
}

// wsWritePools holds, per size, the pool fasthttp/websocket takes its frame
// write buffer from for the duration of one message (Upgrader's
// WriteBufferPool), so idle connections hold no write buffer either.
var wsWritePools sync.Map // int → *sync.Pool

// wsWritePool returns the WebSocket write-buffer pool for size.
func wsWritePool(size int) *sync.Pool {
	p, _ := wsWritePools.LoadOrStore(size, &sync.Pool{})
	return p.(*sync.Pool)
}
