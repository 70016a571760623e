package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Change is one event of the core's session stream: a change of state,
// or (From equal to State) of a start's progress.
type Change struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	From         string `json:"from"`
	StartPhase   string `json:"start_phase"`
	StartMessage string `json:"start_message"`
}

// Events is the core's live feed of session state changes
// (GET /api/v1/sessions/events), read as the web UI reads it: a client
// that follows it learns of a change as soon as the core makes it, where
// polling learns of it up to one poll interval late.
type Events struct {
	c       *Client
	changes chan Change
	resyncs chan struct{}
	done    chan struct{}
	err     error // why the stream ended; read after done is closed
	cancel  context.CancelFunc
}

// Events opens the session event stream and returns once the core has
// acknowledged it, so no change made afterwards is missed. Close it when
// done; ctx bounds the whole stream.
func (c *Client) Events(ctx context.Context) (*Events, error) {
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/api/v1/sessions/events", nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("session events: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: c.Cookie})
	// No client timeout: the stream lives as long as ctx.
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("session events: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("session events: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	// The core writes ": connected" once it has subscribed.
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), ":") {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("session events: the stream did not open with a comment line: %v", sc.Err())
	}
	e := &Events{c: c, changes: make(chan Change, 64), resyncs: make(chan struct{}, 8), done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(e.done)
		defer resp.Body.Close()
		event := "" // the current event's type; "" is a state change
		for sc.Scan() {
			line := sc.Text()
			if name, ok := strings.CutPrefix(line, "event: "); ok {
				event = name
				continue
			}
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				if line == "" {
					event = ""
				}
				continue // comments, heartbeats and blank separators
			}
			if event == ResyncEvent {
				select {
				case e.resyncs <- struct{}{}:
				case <-ctx.Done():
					return
				}
				continue
			}
			var ch Change
			if err := json.Unmarshal([]byte(data), &ch); err != nil {
				e.err = fmt.Errorf("session events: undecodable event %q: %w", data, err)
				return
			}
			select {
			case e.changes <- ch:
			case <-ctx.Done():
				return
			}
		}
		e.err = fmt.Errorf("session events: the stream ended: %v", sc.Err())
	}()
	return e, nil
}

// ResyncEvent is the type of the event that tells a client to reload what
// it shows: changes may have been missed (the core lost its database feed
// and has it again).
const ResyncEvent = "resync"

// WaitResync reads until the core sends a resync event; state changes read
// meanwhile are dropped. ctx bounds the wait.
func (e *Events) WaitResync(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("no %s event: %w", ResyncEvent, ctx.Err())
		case <-e.resyncs:
			return nil
		case <-e.changes:
		case <-e.done:
			select {
			case <-e.resyncs:
				return nil
			default:
			}
			return e.err
		}
	}
}

// Close ends the stream.
func (e *Events) Close() {
	e.cancel()
	<-e.done
}

// WaitState reads the stream until session id reaches one of want, and
// fails early when it fails and failed is not wanted (with the session's
// error, read from the API). ctx bounds the wait.
func (e *Events) WaitState(ctx context.Context, id string, want ...string) error {
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("session %s did not reach %v: %w", id, want, ctx.Err())
		case <-e.done:
			// Changes read before the stream ended still count.
			select {
			case ch := <-e.changes:
				if done, err := e.judge(ctx, ch, id, want); done {
					return err
				}
				continue
			default:
			}
			return e.err
		case ch := <-e.changes:
			if done, err := e.judge(ctx, ch, id, want); done {
				return err
			}
		}
	}
}

func (e *Events) judge(ctx context.Context, ch Change, id string, want []string) (bool, error) {
	switch {
	case ch.ID != id:
		return false, nil
	case slices.Contains(want, ch.State):
		return true, nil
	case ch.State == "failed":
		s, err := e.c.Session(ctx, id)
		return true, errors.Join(fmt.Errorf("session %s failed while waiting for %v: %s", id, want, s.Error), err)
	}
	return false, nil
}

// Progress reads the stream until session id reaches state until and
// returns the start progress announced on the way, in order. It fails as
// WaitState does.
func (e *Events) Progress(ctx context.Context, id, until string) ([]Change, error) {
	var out []Change
	for {
		var ch Change
		select {
		case <-ctx.Done():
			return out, fmt.Errorf("session %s did not reach %s: %w", id, until, ctx.Err())
		case <-e.done:
			select {
			case ch = <-e.changes:
			default:
				return out, e.err
			}
		case ch = <-e.changes:
		}
		if ch.ID == id && ch.From == ch.State {
			out = append(out, ch)
			continue
		}
		if done, err := e.judge(ctx, ch, id, []string{until}); done {
			return out, err
		}
	}
}
