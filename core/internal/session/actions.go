package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// activeStates are the states that count against quotas and use the home
// volume (session_states.active).
var activeStates = []store.SessionState{store.StatePending, store.StateStarting, store.StateRunning,
	store.StateHibernating, store.StateHibernated, store.StateResuming, store.StateStopping}

// plan decides, from a session's current state, the state a request moves
// it to; noop means the request is already satisfied.
type plan func(s store.Session) (to store.SessionState, noop bool, err error)

// request applies a user's request as one transaction: the state change,
// checked against the state read (compare-and-set), and its audit entry.
// extra runs inside the same transaction before the change.
func (m *Manager) request(ctx context.Context, sc store.Scope, id uuid.UUID, action string, details map[string]any,
	decide plan, extra func(q *store.Queries, s store.Session) error) (store.Session, error) {
	actor := actorFrom(ctx, sc)
	var out store.Session
	for attempt := 0; ; attempt++ {
		err := m.st.InTx(ctx, func(q *store.Queries) error {
			s, err := q.GetSession(ctx, sc, id)
			if err != nil {
				return err
			}
			to, noop, err := decide(s)
			if err != nil {
				return err
			}
			if extra != nil {
				if err := extra(q, s); err != nil {
					return err
				}
			}
			out = s
			if !noop {
				if out, err = q.TransitionSession(ctx, sc, id, store.Transition{From: s.State, To: to, Message: action + " requested"}); err != nil {
					return err
				}
			}
			if noop && action != "session.delete" {
				return nil
			}
			return auditSession(ctx, q, actor, s, action, details)
		})
		if errors.Is(err, store.ErrStateChanged) && attempt < 3 {
			continue // someone else moved it first; decide again
		}
		if err != nil {
			return store.Session{}, fmt.Errorf("%s %s: %w", action, id, err)
		}
		m.wake()
		return out, nil
	}
}

func invalid(s store.Session, what string) error {
	return fmt.Errorf("%w: a %s session cannot be %s", ErrInvalidState, s.State, what)
}

// Stop stops a session, keeping the owner's home volume. Stopping a
// stopped session changes nothing; a failed one is stopped again so the
// runtime is cleaned up.
func (m *Manager) Stop(ctx context.Context, sc store.Scope, id uuid.UUID) (store.Session, error) {
	return m.request(ctx, sc, id, "session.stop", nil, func(s store.Session) (store.SessionState, bool, error) {
		switch s.State {
		case store.StateStopping, store.StateStopped:
			return "", true, nil
		case store.StateDeleted:
			return "", false, invalid(s, "stopped")
		}
		return store.StateStopping, false, nil
	}, nil)
}

// Hibernate suspends a running session so Resume continues it as it was.
func (m *Manager) Hibernate(ctx context.Context, sc store.Scope, id uuid.UUID) (store.Session, error) {
	return m.request(ctx, sc, id, "session.hibernate", nil, func(s store.Session) (store.SessionState, bool, error) {
		switch s.State {
		case store.StateRunning:
			return store.StateHibernating, false, nil
		case store.StateHibernating, store.StateHibernated:
			return "", true, nil
		}
		return "", false, invalid(s, "hibernated")
	}, nil)
}

// Resume continues a hibernated session.
func (m *Manager) Resume(ctx context.Context, sc store.Scope, id uuid.UUID) (store.Session, error) {
	return m.request(ctx, sc, id, "session.resume", nil, func(s store.Session) (store.SessionState, bool, error) {
		switch s.State {
		case store.StateHibernated:
			return store.StateResuming, false, nil
		case store.StateResuming, store.StateRunning:
			return "", true, nil
		}
		return "", false, invalid(s, "resumed")
	}, nil)
}

// Delete makes a session a tombstone, stopping it first if it is active;
// the reconciler then has the runtime destroy what is left. removeHome also
// deletes the owner's home volume — all their files, shared by all their
// sessions — so only the owner or a platform admin may ask, and only while
// no other session of the owner is active. It is audited as
// session.delete_storage.
func (m *Manager) Delete(ctx context.Context, sc store.Scope, id uuid.UUID, removeHome bool) (store.Session, error) {
	details := map[string]any{"remove_home": removeHome}
	decide := func(s store.Session) (store.SessionState, bool, error) {
		if removeHome {
			if err := authz.CheckSession(sc, authz.SessionDeleteHome, s); err != nil {
				return "", false, fmt.Errorf("delete a user's home volume: %w", err)
			}
		}
		switch s.State {
		case store.StateStopped, store.StateFailed:
			return store.StateDeleted, false, nil
		case store.StateDeleted, store.StateStopping:
			return "", true, nil
		}
		return store.StateStopping, false, nil
	}
	extra := func(q *store.Queries, s store.Session) error {
		// Recorded in the delete's own transaction: a core killed right
		// after it leaves a delete that the reconciler finishes.
		if err := q.RequestTeardown(ctx, s.ID, removeHome); err != nil {
			return err
		}
		if !removeHome {
			return nil
		}
		// The admission lock keeps a new session of the owner from
		// starting while this one decides to remove their home.
		if err := q.LockForAdmission(ctx, s.OrgID, s.UserID); err != nil {
			return err
		}
		uid := s.UserID
		others, _, err := q.ListSessions(ctx, system, store.SessionFilter{UserID: &uid, States: activeStates}, store.Page{Limit: 2})
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.ID != s.ID {
				return fmt.Errorf("%w: session %s of the same user is %s; stop it first", ErrHomeInUse, o.ID, o.State)
			}
		}
		return auditSession(ctx, q, actorFrom(ctx, sc), s, "session.delete_storage",
			map[string]any{"home_volume": HomeVolume(s.UserID)})
	}
	s, err := m.request(ctx, sc, id, "session.delete", details, decide, extra)
	if err != nil {
		return store.Session{}, err
	}
	m.wake()
	return s, nil
}

// Secrets opens a session's secrets (such as its VNC password), for the
// relay to authenticate to the session on the user's behalf. Whoever can
// see the session can read them; never log or return them to clients.
func (m *Manager) Secrets(ctx context.Context, sc store.Scope, id uuid.UUID) (map[string]string, error) {
	s, err := m.st.GetSession(ctx, sc, id)
	if err != nil {
		return nil, fmt.Errorf("read secrets of session %s: %w", id, err)
	}
	return m.sealer.Open(s.OrgID, s.UserID, s.SecretsSealed)
}
