package main

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// The upstream stands in for a session's VNC server. Every connection
// starts with a 9-byte command: one op byte and a big-endian uint64.
const (
	// opSource: write n bytes, then wait for the client to hang up.
	opSource = 'S'
	// opEcho: write back everything read.
	opEcho = 'E'
	// opIdle: count the connection as idle and wait for the hang-up.
	opIdle = 'I'
	// opSink: read n bytes, answer with one byte (sinkAck), then wait for
	// the hang-up. The client times an upload from its first byte to the
	// ack, so the figure covers every byte reaching the upstream.
	opSink = 'K'
)

// sinkAck is the byte opSink answers once all n bytes have arrived.
const sinkAck = 'k'

// commandSize is the length of a command.
const commandSize = 9

// command encodes op and n.
func command(op byte, n uint64) []byte {
	b := make([]byte, commandSize)
	b[0] = op
	binary.BigEndian.PutUint64(b[1:], n)
	return b
}

// upstream is a loopback TCP server running the commands above.
type upstream struct {
	ln   net.Listener
	idle atomic.Int64
	wg   sync.WaitGroup
}

// startUpstream serves the benchmark's protocol on addr.
func startUpstream(addr string) (*upstream, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	u := &upstream{ln: ln}
	u.wg.Add(1)
	go u.accept()
	return u, nil
}

func (u *upstream) addr() string { return u.ln.Addr().String() }

func (u *upstream) close() {
	_ = u.ln.Close()
	u.wg.Wait()
}

func (u *upstream) accept() {
	defer u.wg.Done()
	for {
		c, err := u.ln.Accept()
		if err != nil {
			return
		}
		u.wg.Add(1)
		go func() {
			defer u.wg.Done()
			defer c.Close()
			u.serve(c)
		}()
	}
}

// source is what opSource sends: its content does not matter, only that it
// is not all zeros compressible by anyone along the way (nobody compresses).
var source = func() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}()

func (u *upstream) serve(c net.Conn) {
	var cmd [commandSize]byte
	if _, err := io.ReadFull(c, cmd[:]); err != nil {
		return
	}
	n := binary.BigEndian.Uint64(cmd[1:])
	switch cmd[0] {
	case opSource:
		for n > 0 {
			chunk := source
			if uint64(len(chunk)) > n {
				chunk = chunk[:n]
			}
			w, err := c.Write(chunk)
			if err != nil {
				return
			}
			n -= uint64(w)
		}
		_, _ = io.Copy(io.Discard, c)
	case opEcho:
		buf := make([]byte, 64<<10)
		for {
			r, err := c.Read(buf)
			if r > 0 {
				if _, werr := c.Write(buf[:r]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	case opSink:
		buf := make([]byte, 256<<10)
		for n > 0 {
			r, err := c.Read(buf[:min(uint64(len(buf)), n)])
			n -= uint64(r)
			if err != nil {
				return
			}
		}
		if _, err := c.Write([]byte{sinkAck}); err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, c)
	case opIdle:
		u.idle.Add(1)
		defer u.idle.Add(-1)
		_, _ = io.Copy(io.Discard, c)
	}
}
