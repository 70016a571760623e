package harness

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server is a running `atrium server` started by StartServer.
type Server struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
}

// StartServer starts `atrium server -config config` and waits until
// http://addr/healthz answers 200 or ctx ends. The core's output is kept
// for Output.
func StartServer(ctx context.Context, atrium, config, addr string) (*Server, error) {
	s := &Server{out: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(atrium, "server", "-config", config)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start atrium server: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("atrium server exited during startup:\n%s", s.out.String())
		case <-ctx.Done():
			s.Stop(10 * time.Second)
			return nil, fmt.Errorf("atrium server did not answer /healthz: %w\n%s", ctx.Err(), s.out.String())
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := hc.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
}

// Output is what the core printed so far.
func (s *Server) Output() string { return s.out.String() }

// Pid is the core's process id, for reading its /proc figures.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop ends the core with SIGTERM, and SIGKILL after grace.
func (s *Server) Stop(grace time.Duration) {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(grace):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// CreateUser runs `atrium admin create-user` against config, with the
// password on stdin so that it appears in no process's arguments; extra
// holds flags such as "-admin" or "-org", "default".
func CreateUser(ctx context.Context, atrium, config, username, password string, extra ...string) error {
	args := append([]string{"admin", "create-user", "-config", config, "-username", username}, extra...)
	cmd := exec.CommandContext(ctx, atrium, args...)
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("atrium admin create-user %s: %w\n%s", username, err, out)
	}
	return nil
}

// syncBuffer is a bytes.Buffer safe for a process's concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
