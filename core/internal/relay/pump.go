package relay

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fasthttp/websocket"
)

// errTextMessage ends a stream whose browser sent a text message: RFB over
// WebSocket is binary only.
var errTextMessage = errors.New("browser sent a text message; the relay carries binary messages only")

// errUpstreamEOF is the session closing its end normally.
var errUpstreamEOF = errors.New("session closed the connection")

// clientError is a failure on the browser's side of the relay.
type clientError struct{ err error }

func (e *clientError) Error() string { return "browser side: " + e.err.Error() }
func (e *clientError) Unwrap() error { return e.err }

// upstreamError is a failure on the session's side of the relay.
type upstreamError struct{ err error }

func (e *upstreamError) Error() string { return "session side: " + e.err.Error() }
func (e *upstreamError) Unwrap() error { return e.err }

// pumpUp copies browser messages to the session until either fails. A
// buffer is taken from the pool only once a message has arrived, so an
// idle stream holds none.
func (r *Relay) pumpUp() error {
	for {
		kind, msg, err := r.ws.NextReader()
		if err != nil {
			return &clientError{err}
		}
		if kind != websocket.BinaryMessage {
			return errTextMessage
		}
		now := time.Now()
		// Any message proves the browser alive, as a pong does.
		_ = r.ws.SetReadDeadline(now.Add(r.opts.PongWait))
		_ = r.up.SetWriteDeadline(now.Add(r.opts.WriteTimeout))
		bp := r.pool.Get().(*[]byte)
		err = r.copyMessage(*bp, msg)
		r.pool.Put(bp)
		if err != nil {
			return err
		}
		r.lastActivity.Store(now.UnixNano())
	}
}

// copyMessage writes one browser message to the session through buf. It
// does not use io.Copy, whose ReadFrom path allocates a buffer per call.
//
// It fills buf before writing: the library hands a frame over in pieces
// (what its small read buffer already holds, then the rest read straight
// from the socket), and writing each piece would cost one upstream write
// syscall per piece. A message that fits buf goes upstream in one write.
func (r *Relay) copyMessage(buf []byte, msg io.Reader) error {
	for {
		n, err := fill(buf, msg)
		if n > 0 {
			if _, werr := r.up.Write(buf[:n]); werr != nil {
				return &upstreamError{werr}
			}
			r.toUpstream.Add(uint64(n))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &clientError{err}
		}
	}
}

// fill reads msg into buf until buf is full or msg returns an error (io.EOF
// at the message's end). Unlike io.ReadFull it reports io.EOF even after a
// partial fill, so the caller knows the message is over.
func fill(buf []byte, msg io.Reader) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := msg.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// pumpDown copies session bytes to the browser, one binary message per
// read, until either fails. While the session streams, one buffer is kept
// across reads; once a read drains the socket the buffer goes back to the
// pool and the pump waits for readiness without holding one.
func (r *Relay) pumpDown() error {
	for {
		if err := r.wait.wait(); err != nil {
			return &upstreamError{err}
		}
		bp := r.pool.Get().(*[]byte)
		err := r.drain(*bp)
		r.pool.Put(bp)
		if err != nil {
			return err
		}
	}
}

// drain forwards reads until one leaves the socket empty (a short read).
func (r *Relay) drain(buf []byte) error {
	for {
		n, err := r.up.Read(buf)
		if n > 0 {
			now := time.Now()
			var werr error
			if r.direct {
				werr = r.writeBinary(buf[:n], now.Add(r.opts.WriteTimeout))
			} else {
				_ = r.ws.SetWriteDeadline(now.Add(r.opts.WriteTimeout))
				werr = r.ws.WriteMessage(websocket.BinaryMessage, buf[:n])
			}
			if werr != nil {
				return &clientError{werr}
			}
			r.toClient.Add(uint64(n))
			r.lastActivity.Store(now.UnixNano())
		}
		if err == io.EOF {
			return errUpstreamEOF
		}
		if err != nil {
			return &upstreamError{err}
		}
		if n < len(buf) {
			return nil
		}
	}
}

// endCause reduces the two directions' endings to Run's result: nil when
// either peer closed normally, otherwise the first real failure.
func endCause(upErr, downErr error) error {
	if isNormalEnd(upErr) || isNormalEnd(downErr) {
		return nil
	}
	if upErr != nil {
		return fmt.Errorf("relay ended: %w", upErr)
	}
	if downErr != nil {
		return fmt.Errorf("relay ended: %w", downErr)
	}
	return nil
}

// isNormalEnd reports a peer closing on purpose.
func isNormalEnd(err error) bool {
	if errors.Is(err, errUpstreamEOF) {
		return true
	}
	return websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway)
}
