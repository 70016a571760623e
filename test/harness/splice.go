package harness

import (
	"io"
	"net"
)

// Splice copies bytes both ways between a and b until either direction
// ends, as a TCP load balancer or a port forwarder does; the caller closes
// both.
func Splice(a, b net.Conn) {
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(a, b); done <- struct{}{} }()
	go func() { _, _ = io.Copy(b, a); done <- struct{}{} }()
	<-done
}
