package serve

import (
	"context"
	"sync"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/atrium-hq/atrium/sdk/internal/tunnel"
	"github.com/atrium-hq/atrium/sdk/plugin"
)

// State is what the base service and the kind's service of one plugin
// process share: whether Configure succeeded, what it was given, and the
// process's tunnel socket.
type State struct {
	// Log is the plugin's logger.
	Log hclog.Logger
	// Tunnels serves socket-mode tunnels; it listens on first use.
	Tunnels *tunnel.Server

	mu         sync.Mutex
	configured bool
	tunnelDir  string
}

// NewState returns the state of a plugin that is not configured yet.
func NewState(log hclog.Logger) *State {
	return &State{Log: log, Tunnels: tunnel.NewServer(log.Named("tunnel"))}
}

// configure runs fn unless a previous call succeeded, and records req when
// fn succeeds. Calls are serialised so fn never runs twice at once.
func (s *State) configure(req plugin.ConfigureRequest, fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.configured {
		return status.Error(codes.FailedPrecondition, "plugin is already configured; restart the plugin to change its configuration")
	}
	if err := fn(); err != nil {
		return err
	}
	s.configured = true
	s.tunnelDir = req.TunnelDir
	return nil
}

// Ready returns a FailedPrecondition status until Configure has succeeded.
// Every kind call checks it first.
func (s *State) Ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.configured {
		return status.Error(codes.FailedPrecondition, "plugin is not configured: the host must call Configure successfully before any other call")
	}
	return nil
}

// TunnelDir is the directory Configure named for tunnel sockets.
func (s *State) TunnelDir() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tunnelDir
}

// Close releases what the plugin process holds: its tunnel socket and the
// tunnels through it.
func (s *State) Close() {
	if err := s.Tunnels.Close(); err != nil {
		s.Log.Warn("close tunnel socket", "error", err)
	}
}

// closeWhenDone closes s when ctx ends; a nil ctx never ends.
func (s *State) closeWhenDone(ctx context.Context) {
	if ctx != nil {
		context.AfterFunc(ctx, s.Close)
	}
}
