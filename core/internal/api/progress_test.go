package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// A start's phases, as the core records them in the store, reach the
// owner's event stream in order over a real socket, and the session's
// JSON shows the current one.
func TestStartPhasesOnEventStreamAndSessionJSON(t *testing.T) {
	s := serveWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watcher := s.srv.deps.Sessions.Watcher()
	go watcher.Run(ctx)

	owner := s.session(s.userB)
	stream := s.openEvents(ctx, t, owner)
	events := make(chan sessionChange, 16)
	go func() {
		for e := range stream {
			var c sessionChange
			if e.typ == "" && json.Unmarshal([]byte(e.data), &c) == nil {
				events <- c
			}
		}
		close(events)
	}()

	sys := store.SystemScope()
	id := s.sessB.ID
	if _, err := s.st.TransitionSession(ctx, sys, id, store.Transition{To: store.StateStarting}); err != nil {
		t.Fatal(err)
	}
	steps := []struct{ phase, msg string }{
		{"image_ready", "atrium/desktop:1 is present"},
		{"container_started", "container 1234abcd started"},
		{"waiting_for_app", "waiting for Linux desktop to answer"},
	}
	for _, p := range steps {
		if _, err := s.st.SetStartPhase(ctx, sys, id, p.phase, p.msg); err != nil {
			t.Fatal(err)
		}
	}
	// Its JSON while it starts.
	r := s.do(owner, "GET", "/api/v1/sessions/"+id.String(), "")
	var v map[string]any
	r.json(t, &v)
	if v["start_phase"] != "waiting_for_app" || v["start_message"] != "waiting for Linux desktop to answer" || v["start_phase_at"] == nil {
		t.Fatalf("starting session's JSON: %s", r.body)
	}
	if _, err := s.st.TransitionSession(ctx, sys, id, store.Transition{To: store.StateRunning}); err != nil {
		t.Fatal(err)
	}

	var got []sessionChange
	deadline := time.After(10 * time.Second)
	for len(got) < 1+len(steps)+1 {
		select {
		case c, ok := <-events:
			if !ok {
				t.Fatalf("the event stream ended after %+v", got)
			}
			if c.ID == id.String() {
				got = append(got, c)
			}
		case <-deadline:
			t.Fatalf("events after 10s: %+v", got)
		}
	}
	if got[0].State != "starting" || got[0].From != "pending" {
		t.Errorf("first event %+v, want pending -> starting", got[0])
	}
	for i, p := range steps {
		c := got[1+i]
		if c.State != "starting" || c.From != "starting" || c.StartPhase != p.phase || c.StartMessage != p.msg {
			t.Errorf("event %d = %+v, want phase %s %q while starting", 1+i, c, p.phase, p.msg)
		}
	}
	if last := got[len(got)-1]; last.State != "running" || last.StartPhase != "" {
		t.Errorf("last event %+v, want running without a phase", last)
	}
	r = s.do(owner, "GET", "/api/v1/sessions/"+id.String(), "")
	if strings.Contains(string(r.body), "start_phase") {
		t.Errorf("running session's JSON still shows start progress: %s", r.body)
	}
}
