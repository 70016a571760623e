package tunnel

import (
	"io"
	"net"
	"sync"
)

// closeWriter is a connection that can end its sending half alone, as TCP
// and unix stream connections can.
type closeWriter interface {
	CloseWrite() error
}

// Join copies bytes both ways between a and b until both directions end,
// then closes both. io.Copy on the connections themselves lets the kernel
// splice between sockets. When one side finishes sending, its peer's
// sending half is closed, so half-closed protocols keep working; when a copy
// fails, or the peer cannot half-close, both connections close at once.
func Join(a, b net.Conn) {
	var wg sync.WaitGroup
	var once sync.Once
	closeBoth := func() {
		once.Do(func() {
			_ = a.Close()
			_ = b.Close()
		})
	}
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		if _, err := io.Copy(dst, src); err == nil {
			if cw, ok := dst.(closeWriter); ok && cw.CloseWrite() == nil {
				return
			}
		}
		closeBoth()
	}
	wg.Add(2)
	go pipe(a, b)
	go pipe(b, a)
	wg.Wait()
	closeBoth()
}
