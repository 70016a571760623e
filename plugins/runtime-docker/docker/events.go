package docker

import (
	"context"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

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

// WatchEvents reports what happens to Atrium's containers, including what
// others do to them behind the core's back (docker kill, docker rm, the OOM
// killer). Each event carries a fresh status rather than the event's own
// verb, so the core never has to interpret Docker's event vocabulary. It
// returns nil when ctx ends and an error when the engine's stream fails.
func (r *Runtime) WatchEvents(ctx context.Context, send func(runtime.Event) error) error {
	e, err := r.engine()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	filters := make(client.Filters).
		Add("type", string(events.ContainerEventType)).
		Add("label", LabelManaged+"="+managedValue).
		Add("event", watchedActions...)
	stream := e.cli.Events(ctx, client.EventsListOptions{Filters: filters})
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-stream.Err:
			if ctx.Err() != nil {
				return nil
			}
			return e.engineErr("watch container events", err)
		case msg := <-stream.Messages:
			ev, ok, err := e.event(ctx, msg)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if !ok {
				continue
			}
			if err := send(ev); err != nil {
				return err
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
