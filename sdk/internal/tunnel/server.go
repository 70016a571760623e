package tunnel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Timeouts of the socket-mode exchange.
const (
	// TokenTTL is how long an issued token stays valid.
	TokenTTL = 30 * time.Second
	// tokenReadTimeout bounds how long a new connection may take to send
	// its token.
	tokenReadTimeout = 5 * time.Second
	// DialTimeout bounds the runtime's Dial for one connection. The host
	// waits at least this long for the status byte.
	DialTimeout = 10 * time.Second
	// statusWriteTimeout bounds writing the status back to the host.
	statusWriteTimeout = 5 * time.Second
)

// maxSocketPath is the longest unix socket path every supported OS accepts
// (macOS allows 104 bytes including the terminating NUL).
const maxSocketPath = 103

// Server is the plugin process's single tunnel socket. It listens lazily,
// on the first Open, so plugins that never use socket tunnels create no
// file.
type Server struct {
	log    hclog.Logger
	tokens *Tokens
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	ln     *net.UnixListener
	path   string
	closed bool
	conns  sync.WaitGroup
}

// NewServer returns a server that logs to log. It listens nowhere yet.
func NewServer(log hclog.Logger) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		log:    log,
		tokens: NewTokens(TokenTTL, time.Now),
		ctx:    ctx,
		cancel: cancel,
	}
}

// Open issues a one-time token for dial and returns the socket path the host
// connects to. The first call listens on a new socket in dir; later calls
// reuse it, so dir should not change.
func (s *Server) Open(dir string, dial DialFunc) (path string, token []byte, err error) {
	path, err = s.listen(dir)
	if err != nil {
		return "", nil, err
	}
	token, err = s.tokens.Issue(dial)
	if err != nil {
		return "", nil, err
	}
	return path, token, nil
}

func (s *Server) listen(dir string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("tunnel socket is closed because the plugin is shutting down")
	}
	if s.ln != nil {
		return s.path, nil
	}
	if dir == "" {
		return "", errors.New("no tunnel directory: the host passed an empty TunnelDir to Configure, so socket tunnels are unavailable; configure the host's tunnel directory")
	}
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return "", fmt.Errorf("name tunnel socket: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("p%d-%s.sock", os.Getpid(), hex.EncodeToString(suffix[:])))
	if len(path) > maxSocketPath {
		return "", fmt.Errorf("tunnel socket path %q is %d bytes, longer than unix sockets allow (%d); use a shorter tunnel directory", path, len(path), maxSocketPath)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return "", fmt.Errorf("listen on tunnel socket in %s: %w; check that the directory exists and the plugin may write to it", dir, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return "", fmt.Errorf("restrict tunnel socket %s to its owner: %w", path, err)
	}
	s.ln, s.path = ln, path
	go s.accept(ln)
	s.log.Debug("listening for socket tunnels", "path", path)
	return path, nil
}

// Close stops listening, removes the socket file, ends all tunnels and waits
// for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	ln := s.ln
	s.mu.Unlock()
	s.cancel()
	var err error
	if ln != nil {
		err = ln.Close()
	}
	s.conns.Wait()
	return err
}

func (s *Server) accept(ln *net.UnixListener) {
	for {
		conn, err := ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Error("accept tunnel connection", "error", err)
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			s.serve(conn)
		}()
	}
}

// serve runs the exchange on one connection and then copies its bytes.
func (s *Server) serve(conn *net.UnixConn) {
	stop := context.AfterFunc(s.ctx, func() { _ = conn.Close() })
	defer stop()

	token := make([]byte, TokenSize)
	_ = conn.SetReadDeadline(time.Now().Add(tokenReadTimeout))
	if _, err := io.ReadFull(conn, token); err != nil {
		s.log.Debug("tunnel connection sent no token", "error", err)
		_ = conn.Close()
		return
	}
	_ = conn.SetReadDeadline(time.Time{})

	dial, ok := s.tokens.Redeem(token)
	if !ok {
		s.refuse(conn, StatusBadToken, "unknown, used or expired tunnel token; call OpenTunnel again")
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, DialTimeout)
	upstream, err := dial(ctx)
	cancel()
	if err != nil {
		s.log.Warn("tunnel dial failed", "error", err)
		s.refuse(conn, StatusDialFailed, err.Error())
		return
	}
	_ = conn.SetWriteDeadline(time.Now().Add(statusWriteTimeout))
	if err := WriteStatus(conn, StatusOK, ""); err != nil {
		s.log.Debug("tunnel host went away before the session was connected", "error", err)
		_ = conn.Close()
		_ = upstream.Close()
		return
	}
	_ = conn.SetWriteDeadline(time.Time{})
	stopUp := context.AfterFunc(s.ctx, func() { _ = upstream.Close() })
	defer stopUp()
	Join(conn, upstream)
}

func (s *Server) refuse(conn net.Conn, st Status, msg string) {
	_ = conn.SetWriteDeadline(time.Now().Add(statusWriteTimeout))
	if err := WriteStatus(conn, st, msg); err != nil {
		s.log.Debug("write tunnel refusal", "error", err)
	}
	_ = conn.Close()
}
