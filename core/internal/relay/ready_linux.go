//go:build linux

package relay

import (
	"net"
	"syscall"
	"unsafe"
)

// readyWaiter blocks until a connection has bytes (or EOF, or an error) to
// read, without a read buffer: it parks in the runtime's poller and peeks
// one byte with MSG_PEEK, so an idle stream holds no copy buffer.
type readyWaiter struct {
	rc     syscall.RawConn
	peek   [1]byte
	isDone func(fd uintptr) bool
	// parked is set once a peek found nothing and the runtime parked the
	// pump; the poller wakes it only when the socket turns readable (or
	// closes), so the next check answers yes without a second peek.
	parked bool
}

// newReadyWaiter returns a waiter for c. Connections that expose no file
// descriptor (a wrapped stream) get a waiter that returns at once; their
// pump then blocks in Read holding a buffer.
func newReadyWaiter(c net.Conn) readyWaiter {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return readyWaiter{}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return readyWaiter{}
	}
	return readyWaiter{rc: rc}
}

// wait returns once a Read on the connection would not block.
func (w *readyWaiter) wait() error {
	if w.rc == nil {
		return nil
	}
	if w.isDone == nil {
		// Built once so the hot path does not allocate a closure.
		w.isDone = w.peekReady
	}
	w.parked = false
	return w.rc.Read(w.isDone)
}

// peekReady reports whether the socket has data, EOF or an error pending;
// false (EAGAIN) makes the runtime park until it becomes readable. After a
// park it answers true without peeking again: that saves one syscall per
// wake-up, which is a quarter of the relay's syscalls for a small message.
// Were a wake-up ever spurious, the pump's Read would simply block in the
// poller holding its buffer until data came.
func (w *readyWaiter) peekReady(fd uintptr) bool {
	if w.parked {
		return true
	}
	_, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd,
		uintptr(unsafe.Pointer(&w.peek[0])), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	// EAGAIN is the only answer that means "nothing yet"; anything else,
	// including EINTR, lets Read run and report what it finds.
	if errno == syscall.EAGAIN {
		w.parked = true
		return false
	}
	return true
}
