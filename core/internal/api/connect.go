package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/problem"
	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// ticketTTL is how long a relay ticket lives: long enough for a browser to
// open a WebSocket, too short to be worth stealing.
const ticketTTL = 20 * time.Second

// connectView is what a browser needs to open a session's relay.
type connectView struct {
	Ticket    string    `json:"ticket"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// connectSession issues a single-use relay ticket bound to the caller, the
// session and its current instance. Only the session's owner may open its
// desktop: an administrator who can manage a session still may not watch
// its screen.
func (s *Server) connectSession(c *fiber.Ctx, p *authn.Principal) error {
	id, err := pathID(c, "session")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	sess, err := s.deps.Store.GetSession(ctx, p.Scope, id)
	if err != nil {
		return err
	}
	if !authz.AllowedOnSession(p.Scope, authz.SessionOpen, sess) {
		return forbidden(problem.NotOwner, "only the session's owner can open its desktop")
	}
	if sess.State != store.StateRunning || sess.InstanceID == "" {
		return problem.New(http.StatusConflict, problem.NotRunning, "the session is "+string(sess.State)+"; connect once it is running")
	}
	t := relay.NewTicket(p.User.ID.String(), sess.ID.String(), sess.InstanceID, ticketTTL, time.Now())
	t.Grant = p.Grant(sess.OrgID)
	token, err := s.deps.Tickets.Issue(ctx, t)
	if err != nil {
		return err
	}
	return c.JSON(connectView{Ticket: token, URL: "/api/v1/sessions/" + sess.ID.String() + "/vnc?ticket=" + token, ExpiresAt: t.ExpiresAt})
}

// resyncEvent tells an event stream's client to reload the sessions it
// shows: changes may have been missed. Browsers dispatch no event without
// data, hence the empty object.
const resyncEvent = "event: resync\ndata: {}\n\n"

// sessionEvents streams session state changes the caller may see, as
// server-sent events. When changes may have been missed (the database
// connection was lost and is back, or the client fell behind) the stream
// stays open and sends a resync event. It ends when the core shuts down;
// browsers reconnect by themselves.
func (s *Server) sessionEvents(c *fiber.Ctx, p *authn.Principal) error {
	w := s.deps.Sessions.Watcher()
	select {
	case <-w.Listening():
	case <-time.After(5 * time.Second):
		return problem.New(http.StatusServiceUnavailable, problem.EventsUnavailable, "the session event stream is not listening yet; retry shortly")
	}
	changes, cancel := w.Subscribe(p.Scope)
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	closing := s.closing
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		defer func() { cancel() }()
		heartbeat := time.NewTicker(15 * time.Second)
		defer heartbeat.Stop()
		// A comment line at once tells the browser the stream is open.
		if _, err := bw.WriteString(": connected\n\n"); err != nil || bw.Flush() != nil {
			return
		}
		for {
			select {
			case ch, ok := <-changes:
				if !ok {
					// Changes may have been missed: the watcher's
					// database connection was lost and is back, or this
					// client fell behind. Follow again first, then tell
					// the client to reload, so nothing falls between.
					cancel()
					changes, cancel = w.Subscribe(p.Scope)
					if _, err := bw.WriteString(resyncEvent); err != nil || bw.Flush() != nil {
						return
					}
					continue
				}
				b, _ := json.Marshal(sessionChange{ID: ch.ID.String(), State: string(ch.To), From: string(ch.From),
					StartPhase: ch.StartPhase, StartMessage: ch.StartMessage})
				if _, err := fmt.Fprintf(bw, "data: %s\n\n", b); err != nil || bw.Flush() != nil {
					return
				}
			case <-heartbeat.C:
				// Heartbeats find dead clients and keep proxies from
				// closing an idle stream.
				if _, err := bw.WriteString(": ping\n\n"); err != nil || bw.Flush() != nil {
					return
				}
			case <-closing:
				return
			}
		}
	})
	return nil
}

// sessionChange is one server-sent event: a change of state, or (state
// equal to from) of a start's progress.
type sessionChange struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	From         string `json:"from,omitempty"`
	StartPhase   string `json:"start_phase,omitempty"`
	StartMessage string `json:"start_message,omitempty"`
}
