package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/access"
	"github.com/atrium-hq/atrium/core/internal/appproxy"
	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/metrics"
	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/vncauth"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// vncAuthTimeout bounds the core's VNC handshake with a session's server.
const vncAuthTimeout = 10 * time.Second

// vncGateWait bounds the wait for a handshake slot with a busy desktop
// (see vncauth.Gate): past it the relay answers 429 with Retry-After,
// well inside the relay's 10 s dial bound.
const vncGateWait = 4 * time.Second

// vncRelay builds the relay's WebSocket handler: after the ticket and the
// Origin pass, it dials the session's primary port through its runtime,
// authenticates to the VNC server with the session's password, and greets
// the browser with an already-authenticated stream.
func vncRelay(cfg config.Server, st *store.Store, sessions *session.Manager, tickets relay.Tickets, reg *relay.Registry, m *metrics.Relay, log hclog.Logger) (fiber.Handler, error) {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("server { public_url } %q: %w", cfg.PublicURL, err)
	}
	origin := u.Scheme + "://" + u.Host
	// Bounds the handshakes with each session's VNC server (see
	// vncauth.MaxHandshakes).
	var handshakes vncauth.Gate
	lookup := func(ctx context.Context, id string) (relay.Upstream, error) {
		sid, err := uuid.Parse(id)
		if err != nil {
			return relay.Upstream{}, relay.ErrSessionNotRunning
		}
		// The ticket was checked against this session and its owner before
		// Lookup runs; the read itself needs no caller scope.
		s, err := st.GetSession(ctx, store.SystemScope(), sid)
		if err != nil || s.State != store.StateRunning {
			return relay.Upstream{}, relay.ErrSessionNotRunning
		}
		return relay.Upstream{InstanceID: s.InstanceID, Dial: func(ctx context.Context) (net.Conn, error) {
			p, err := sessions.Primary(ctx, s)
			if err != nil {
				return nil, err
			}
			if p.Protocol != workspace.ProtocolVNC {
				return nil, fmt.Errorf("session %s is not a desktop (protocol %q)", s.ID, p.Protocol)
			}
			// Only the connection and its handshake wait for a slot, not
			// the runtime calls before them.
			var conn net.Conn
			wait, cancel := context.WithTimeout(ctx, vncGateWait)
			defer cancel()
			err = handshakes.Do(wait, s.ID.String(), func() error {
				c, err := p.Dial(ctx)
				if err != nil {
					return err
				}
				if err := vncauth.Authenticate(c, p.Secrets["vnc_password"], vncAuthTimeout); err != nil {
					c.Close()
					return err
				}
				conn = c
				return nil
			})
			if errors.Is(err, vncauth.ErrBusy) {
				return nil, fmt.Errorf("%w: %w", relay.ErrUpstreamBusy, err)
			}
			if err != nil {
				return nil, err
			}
			// The user is here: the session is not idle.
			_ = st.TouchSessionActivity(ctx, store.SystemScope(), s.ID)
			return conn, nil
		}}, nil
	}
	return relay.Handler(relay.HandlerOptions{
		Tickets:        tickets,
		AllowedOrigins: []string{origin},
		Lookup:         lookup,
		Registry:       reg,
		Logger:         log,
		Greet:          vncauth.Greet,
		Metrics:        m,
		MaxPerUser:     cfg.RelaysPerUser,
		MaxRelays:      cfg.RelaysPerCore,
	})
}

// liveStreams closes every long-lived connection the core holds for a
// session: desktop relays and app WebSockets. Those of a user whose access
// ended are closed by the access.Revoker (startRevoker).
type liveStreams struct {
	relays *relay.Registry
	apps   *appproxy.Proxy
}

// CloseSession ends the session's streams, e.g. when it stops.
func (l liveStreams) CloseSession(id string) int {
	return l.relays.CloseSession(id) + l.apps.CloseSession(id)
}

// trackRelays keeps sessions with live desktops from being culled as idle,
// and closes a session's streams when it leaves the running state
// (stopped, hibernated, failed) on any replica.
func trackRelays(ctx context.Context, st *store.Store, w *session.Watcher, reg *relay.Registry, live liveStreams, log hclog.Logger) {
	changes, cancel := w.Subscribe(store.SystemScope())
	defer func() { cancel() }()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case c, ok := <-changes:
			if !ok {
				// The watcher dropped us (lost LISTEN, overflow): subscribe
				// again once it listens.
				cancel()
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
				changes, cancel = w.Subscribe(store.SystemScope())
				continue
			}
			if c.To != store.StateRunning {
				if n := live.CloseSession(c.ID.String()); n > 0 {
					log.Info("closed connections of a session that stopped running", "session", c.ID, "state", c.To, "streams", n)
				}
			}
		case <-tick.C:
			for _, s := range reg.Stats() {
				if time.Since(s.LastActivity) > time.Minute {
					continue
				}
				if id, err := uuid.Parse(s.SessionID); err == nil {
					_ = st.TouchSessionActivity(ctx, store.SystemScope(), id)
				}
			}
		}
	}
}

// startRevoker runs the access.Revoker that closes this replica's relays
// and app WebSockets whose access ended on any replica, and has every new
// relay checked once more as it registers.
func startRevoker(ctx context.Context, st *store.Store, w *session.Watcher, reg *relay.Registry, apps *appproxy.Proxy, log hclog.Logger) *access.Revoker {
	rev := access.NewRevoker(w, st, log, 0, reg, apps)
	reg.OnAdd(func(o relay.Owner) { rev.Recheck(o.Grant.UserID) })
	go rev.Run(ctx)
	return rev
}
