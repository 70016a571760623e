package connect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/atrium-hq/atrium/sdk/internal/tunnel"
)

// ErrTunnelRefused is returned by DialSocket when the plugin refuses the
// connection: the token was unknown, used or expired, or the plugin could
// not reach the session. The error's text carries the plugin's reason.
var ErrTunnelRefused = errors.New("plugin refused the tunnel")

// socketHandshakeTimeout bounds the token exchange when ctx has no deadline.
// It exceeds the plugin's own dial timeout, so a slow dial is reported by
// the plugin rather than cut short here.
const socketHandshakeTimeout = tunnel.DialTimeout + 5*time.Second

// DialSocket connects to a socket-mode tunnel a plugin returned from
// OpenTunnel: it dials path, presents token, and waits until the plugin has
// reached the session. The returned connection then carries the session's
// bytes. Each token opens one connection; call OpenTunnel for the next.
// ctx bounds only the connection's setup.
func DialSocket(ctx context.Context, path string, token []byte) (net.Conn, error) {
	if len(token) != tunnel.TokenSize {
		return nil, fmt.Errorf("dial tunnel socket %s: token is %d bytes, want %d; pass the token OpenTunnel returned", path, len(token), tunnel.TokenSize)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("dial tunnel socket: %w; is the plugin still running?", err)
	}
	deadline := time.Now().Add(socketHandshakeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	err = handshake(conn, token)
	if !stop() {
		_ = conn.Close()
		return nil, fmt.Errorf("dial tunnel socket %s: %w", path, ctx.Err())
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("dial tunnel socket %s: %w", path, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

func handshake(conn net.Conn, token []byte) error {
	if _, err := conn.Write(token); err != nil {
		return fmt.Errorf("send token: %w", err)
	}
	st, msg, err := tunnel.ReadStatus(conn)
	if err != nil {
		return err
	}
	if st != tunnel.StatusOK {
		return fmt.Errorf("%w: %s", ErrTunnelRefused, msg)
	}
	return nil
}
