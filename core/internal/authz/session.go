package authz

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// Session actions, decided on a session the caller can already see (the
// store's Scope has checked that). Stop, hibernate, resume and delete
// need nothing beyond seeing the session: its owner, the organisation's
// admins and platform admins see it.
const (
	// SessionOpen (its desktop relay, its web apps): the owner only. An
	// admin who may manage a session still may not watch its screen.
	SessionOpen Action = "session.open"
	// SessionDeleteHome (delete with remove_home, which removes all the
	// owner's files): the owner and platform admins.
	SessionDeleteHome Action = "session.delete_home"
)

// AllowedOnSession reports whether the caller may do action on s.
func AllowedOnSession(sc store.Scope, action Action, s store.Session) bool {
	owner := s.UserID != uuid.Nil && sc.UserID == s.UserID
	switch action {
	case SessionOpen:
		return owner
	case SessionDeleteHome:
		return owner || sc.PlatformAdmin
	}
	return false
}

// CheckSession is AllowedOnSession as an error: nil, or ErrForbidden
// naming the action.
func CheckSession(sc store.Scope, action Action, s store.Session) error {
	if AllowedOnSession(sc, action, s) {
		return nil
	}
	who := "the session's owner"
	if action == SessionDeleteHome {
		who += " or a platform admin"
	}
	return fmt.Errorf("%w: only %s may %s", ErrForbidden, who, action)
}
