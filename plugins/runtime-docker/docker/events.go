package docker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// watchedActions are the container events that change a session's status,
// and kill, which tells a stop from a crash.
var watchedActions = []string{
	string(events.ActionKill),
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
// containers may have died while no stream was open; those the engine
// stopped in that gap are reported as ExitRuntimeRestarted. It returns nil when
// ctx ends and an error only when send fails.
func (r *Runtime) WatchEvents(ctx context.Context, send func(runtime.Event) error) error {
	e, err := r.engine()
	if err != nil {
		return err
	}
	backoff := watchBackoffMin
	var broke time.Time // when the last stream broke; zero before the first
	// kills holds the last signal Docker sent each container since its
	// start: a container that dies after one was stopped from outside.
	kills := map[string]string{}
	for {
		began := time.Now()
		opened, err := r.watchOnce(ctx, e, send, broke, kills)
		var se sendError
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &se):
			return se.err
		}
		// A stream that served a while was healthy: the next break starts
		// the backoff afresh, and a new gap.
		healthy := opened || time.Since(began) > watchBackoffMax
		if healthy {
			backoff = watchBackoffMin
		}
		if broke.IsZero() || healthy {
			broke = time.Now()
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
// reconnect (broke is when the last stream broke) it reports every
// session's status once the stream is open, so nothing that happened in the
// gap is lost. opened says whether the engine answered at all.
func (r *Runtime) watchOnce(ctx context.Context, e *engine, send func(runtime.Event) error, broke time.Time, kills map[string]string) (opened bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	filters := make(client.Filters).
		Add("type", string(events.ContainerEventType)).
		Add("label", LabelManaged+"="+managedValue).
		Add("event", watchedActions...)
	stream := e.cli.Events(ctx, client.EventsListOptions{Filters: filters})
	if !broke.IsZero() {
		// The list runs after the stream is open: an event between the two
		// is reported twice, never lost.
		cs, err := e.inspectSessions(ctx, nil)
		if err != nil {
			return false, err
		}
		now := time.Now()
		for _, c := range cs {
			ev := runtime.Event{SessionID: c.Config.Labels[LabelSession], Status: statusAfterBreak(c, broke, e.cfg.stopTimeout), Time: now}
			if err := send(ev); err != nil {
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
			switch events.Action(msg.Action) {
			case events.ActionKill:
				// Docker signals the container; the die that follows says
				// what came of it.
				kills[msg.Actor.ID] = msg.Actor.Attributes["signal"]
				continue
			case events.ActionStart:
				delete(kills, msg.Actor.ID)
			}
			ev, ok, err := e.event(ctx, msg, kills[msg.Actor.ID])
			if events.Action(msg.Action) == events.ActionDestroy {
				delete(kills, msg.Actor.ID)
			}
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
// status now; signal is the last one Docker sent the event's container
// since it started ("" for none). ok is false for containers that are not
// sessions.
func (e *engine) event(ctx context.Context, msg events.Message, signal string) (runtime.Event, bool, error) {
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
		return runtime.Event{SessionID: id, Status: stoppedBySignal(res.Container, signal), Time: at}, true, nil
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

// stoppedBySignal is c's status, given the last signal Docker sent it since
// it started ("" for none). A container that exited after one (docker stop,
// docker kill, or the engine stopping its containers as it shuts down) was
// stopped from outside, whatever exit code its process chose, unless it
// ran out of memory.
func stoppedBySignal(c container.InspectResponse, signal string) runtime.Status {
	st := statusOf(c)
	if signal == "" || st.State != runtime.StateExited || st.ExitCause != runtime.ExitOwn || c.State == nil || c.State.OOMKilled {
		return st
	}
	st.ExitCause = runtime.ExitStoppedOutside
	st.Message = fmt.Sprintf("Docker sent it signal %s (docker stop, docker kill or the engine shutting down) and it exited with code %d", signal, st.ExitCode)
	return st
}

// restartSlack is how long before its event stream breaks an engine that
// shuts down may have stopped a container, beyond the container's stop
// timeout: dockerd stops containers and closes the API within its own
// shutdown timeout, 15 s by default.
const restartSlack = 15 * time.Second

// statusAfterBreak is c's status as reported after the event stream broke
// at broke. An engine that restarts without live-restore stops every
// container (the stop signal, then SIGKILL after stopTimeout) around the
// time its API goes away, so a container that ended since shortly before
// the break was taken down by the restart, whatever exit code its process
// chose on the signal; only an OOM kill is still the session's own doing.
// The core acts only on sessions it still thinks run, so a container whose
// end the stream already reported keeps what it said then.
func statusAfterBreak(c container.InspectResponse, broke time.Time, stopTimeout time.Duration) runtime.Status {
	s := statusOf(c)
	if s.State != runtime.StateExited || c.State == nil || c.State.OOMKilled ||
		parseDockerTime(c.State.FinishedAt).Before(broke.Add(-stopTimeout-restartSlack)) {
		return s
	}
	s.ExitCause = runtime.ExitRuntimeRestarted
	s.Message = fmt.Sprintf("the Docker engine restarted and stopped the container (exit code %d)", c.State.ExitCode)
	return s
}
