package session

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// messageEvery is how often a runtime may update the message of a phase
// it already reported; a new phase is always recorded. Each update is a
// database write and a notification to every replica, and the plugin is
// not trusted to be sparing.
const messageEvery = time.Second

// progress returns the Progress func for one start or resume of s: each
// report the runtime makes is cleaned and recorded on the session, where
// every replica's event streams announce it.
func (m *Manager) progress(ctx context.Context, s store.Session) func(runtime.Progress) {
	var mu sync.Mutex
	var last runtime.Phase
	var lastAt time.Time
	return func(p runtime.Progress) {
		if p.Phase.Rank() == 0 {
			m.log.Debug("runtime reported an unknown start phase; ignored", "session", s.ID, "runtime", s.Runtime, "phase", cleanMessage(string(p.Phase)))
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if p.Phase == last && time.Since(lastAt) < messageEvery {
			return
		}
		if m.setPhase(ctx, s, p.Phase, p.Message) {
			last, lastAt = p.Phase, time.Now()
		}
	}
}

// setPhase records a phase the core reached itself, or one a runtime
// reported, and says whether it was stored. Failures are logged only: the
// start goes on without the card being current.
func (m *Manager) setPhase(ctx context.Context, s store.Session, phase runtime.Phase, message string) bool {
	ok, err := m.st.SetStartPhase(ctx, system, s.ID, string(phase), cleanMessage(message))
	if err != nil && ctx.Err() == nil {
		m.log.Warn("could not record a session's start phase", "session", s.ID, "phase", phase, "error", err)
	}
	return ok
}

// cleanMessage makes a runtime's message fit to show: valid UTF-8 without
// control or formatting characters (which could rewrite a terminal line or
// reorder text), runs of white space as one space, at most
// store.MaxStartMessage characters.
func cleanMessage(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if utf8.RuneCountInString(out) <= store.MaxStartMessage {
		return out
	}
	runes := []rune(out)
	return strings.TrimRight(string(runes[:store.MaxStartMessage-1]), " ") + "…"
}

// waitingMessage is the core's own message for PhaseWaitingForApp.
func waitingMessage(desc workspace.DescribeResponse) string {
	if desc.DisplayName != "" {
		return "waiting for " + desc.DisplayName + " to answer"
	}
	return "waiting for the workspace to answer"
}
