package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is the metrics listener, apart from the core's public one, so
// metrics are never served on the public origin.
type Server struct {
	srv *http.Server
	ln  net.Listener
	err chan error
}

// Listen binds addr and serves GET /metrics from r (token as in Handler);
// every other path answers 404.
func Listen(addr string, r *Registry, token string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener on %s: %w; free the port or change server { metrics_listen }", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", r.Handler(token))
	s := &Server{
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute},
		ln:  ln,
		err: make(chan error, 1),
	}
	go func() {
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.err <- err
		}
		close(s.err)
	}()
	return s, nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops the listener, letting a scrape in flight finish within ctx.
func (s *Server) Close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if serveErr := <-s.err; serveErr != nil {
		return fmt.Errorf("metrics listener: %w", serveErr)
	}
	return err
}
