package docker

import (
	"context"
	"errors"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// watchedActions are the container events that change a session's status.
var watchedActions = []string{
	string(events.ActionStart),
	string(events.ActionDie),
	string(events.ActionStop),
	string(events.ActionOOM),
	string(events.ActionDestroy),
}

// Reconnect backoff of WatchEvents when the engine's stream breaks (an
// engine restart, as a package upgrade does).
const (
	watchBackoffMin = 100 * time.Millisecond
	watchBackoffMax = 5 * time.Second
)

// sendError is an error of WatchEvents's send callback: the core's end of
// the stream is gone, so reconnecting to the engine is pointless.
type sendError struct{ err error }

func (s sendError) Error() string { return s.err.Error() }
func (s sendError) Unwrap() error { return s.err }

// WatchEvents reports what happens to Atrium's containers, including what
// others do to them behind the core's back (docker kill, docker rm, the OOM
// killer). Each event carries a fresh status rather than the event's own
// verb, so the core never has to interpret Docker's event vocabulary.
// When the engine's stream breaks (the engine restarted) it reconnects by
// itself with backoff and then reports every session's status, since
// containers may have died while no stream was open. It returns nil when
// ctx ends and an error only when send fails.
func (r *Runtime) WatchEvents(ctx context.Context, send func(runtime.Event) error) error {
	e, err := r.engine()
	if err != nil {
		return err
	}
	backoff := watchBackoffMin
	for reconnect := false; ; reconnect = true {
		began := time.Now()
		opened, err := r.watchOnce(ctx, e, send, reconnect)
		var se sendError
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &se):
			return se.err
		}
		// A stream that served a while was healthy: the next break starts
		// the backoff afresh.
		if opened || time.Since(began) > watchBackoffMax {
			backoff = watchBackoffMin
		}
		plugin.Logger().Warn("docker event stream broke; reconnecting", "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, watchBackoffMax)
	}
}

// watchOnce runs one stream of engine events until it breaks. After a
// reconnect it reports every session's status once the stream is open, so
// nothing that happened in the gap is lost. opened says whether the engine
// answered at all.
func (r *Runtime) watchOnce(ctx context.Context, e *engine, send func(runtime.Event) error, reconnect bool) (opened bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	filters := make(client.Filters).
		Add("type", string(events.ContainerEventType)).
		Add("label", LabelManaged+"="+managedValue).
		Add("event", watchedActions...)
	stream := e.cli.Events(ctx, client.EventsListOptions{Filters: filters})
	if reconnect {
		// The list runs after the stream is open: an event between the two
		// is reported twice, never lost.
		list, err := r.ListSessions(ctx, runtime.ListRequest{})
		if err != nil {
			return false, err
		}
		now := time.Now()
		for _, ls := range list.Sessions {
			if err := send(runtime.Event{SessionID: ls.SessionID, Status: ls.Status, Time: now}); err != nil {
				return true, sendError{err}
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			return true, nil
		case err := <-stream.Err:
			return false, e.engineErr("watch container events", err)
		case msg := <-stream.Messages:
			ev, ok, err := e.event(ctx, msg)
			if err != nil {
				return true, err
			}
			if !ok {
				continue
			}
			if err := send(ev); err != nil {
				return true, sendError{err}
			}
		}
	}
}

// event turns a Docker event into a session event with the session's
// status now. ok is false for containers that are not sessions.
func (e *engine) event(ctx context.Context, msg events.Message) (runtime.Event, bool, error) {
	id := msg.Actor.Attributes[LabelSession]
	if id == "" {
		return runtime.Event{}, false, nil
	}
	at := time.Unix(0, msg.TimeNano)
	if msg.TimeNano == 0 {
		at = time.Unix(msg.Time, 0)
	}
	res, err := e.cli.ContainerInspect(ctx, msg.Actor.ID, client.ContainerInspectOptions{})
	switch {
	case err == nil:
		return runtime.Event{SessionID: id, Status: statusOf(res.Container), Time: at}, true, nil
	case !isNotFound(err):
		return runtime.Event{}, false, e.engineErr("inspect container "+msg.Actor.ID, err)
	}
	// This container is gone, but a restarted session may already have
	// another one: report the session, not the container.
	c, found, err := e.find(ctx, id, runtime.Handle{})
	if err != nil {
		return runtime.Event{}, false, err
	}
	if !found {
		return runtime.Event{SessionID: id, Status: missing(), Time: at}, true, nil
	}
	return runtime.Event{SessionID: id, Status: statusOf(c), Time: at}, true, nil
}
