//go:build !linux

package relay

import "net"

// readyWaiter is a no-op off Linux: the downstream pump blocks in Read
// holding a buffer, which costs BufferSize per idle stream.
type readyWaiter struct{}

func newReadyWaiter(net.Conn) readyWaiter { return readyWaiter{} }

func (w *readyWaiter) wait() error { return nil }
