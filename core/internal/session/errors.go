package session

import (
	"errors"
	"fmt"

	"github.com/atrium-hq/atrium/core/internal/authz"
	"github.com/atrium-hq/atrium/core/internal/store"
)

var (
	// ErrTemplateNotFound means no template of that name is configured. It
	// wraps store.ErrNotFound, so the API answers 404 like for any unknown
	// object.
	ErrTemplateNotFound = fmt.Errorf("template %w", store.ErrNotFound)
	// ErrTemplateNotAllowed means the template's allow block excludes the
	// session's owner. It wraps authz.ErrForbidden (403): templates are
	// listed to everyone, so refusing them hides nothing.
	ErrTemplateNotAllowed = fmt.Errorf("%w: the template's allow block does not include this user", authz.ErrForbidden)
	// ErrQuotaExceeded means admitting the session would exceed an
	// organisation's or a user's quota. The error is a *QuotaError naming
	// the limit.
	ErrQuotaExceeded = errors.New("quota exceeded")
	// ErrInvalidState means the session is not in a state that allows the
	// request, e.g. resuming a running session. The API answers 409.
	ErrInvalidState = errors.New("the session's state does not allow this")
	// ErrHomeInUse means the user's home volume cannot be removed, or a
	// session cannot be admitted, because another of the user's sessions
	// uses it or its removal is still under way. The API answers 409.
	ErrHomeInUse = errors.New("home volume in use")
)

// QuotaError says which limit refused a session. errors.Is(err,
// ErrQuotaExceeded) holds for it.
type QuotaError struct {
	// Scope is store.QuotaOrg or store.QuotaUser.
	Scope store.QuotaScope
	// Limit is "sessions", "cpu_millis" or "memory_bytes".
	Limit string
	// Max is the configured limit, Used what active sessions already
	// consume, Requested what the new session would add.
	Max, Used, Requested int64
}

// Error names the limit and the numbers, so a person can see what to stop
// or whom to ask.
func (e *QuotaError) Error() string {
	who := "your organisation's"
	if e.Scope == store.QuotaUser {
		who = "your"
	}
	return fmt.Sprintf("%s: %s %s limit is %d; %d in use, this session needs %d more; stop a session or ask an administrator to raise the quota",
		ErrQuotaExceeded, who, e.Limit, e.Max, e.Used, e.Requested)
}

// Is makes errors.Is(err, ErrQuotaExceeded) true.
func (e *QuotaError) Is(target error) bool { return target == ErrQuotaExceeded }
