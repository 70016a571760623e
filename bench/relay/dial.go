package main

import (
	"net"
	"time"
)

// dialTimeout connects over loopback TCP, failing after 10 s.
func dialTimeout(addr string) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, 10*time.Second)
}
