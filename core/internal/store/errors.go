package store

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var (
	// ErrNotFound means the object does not exist or lies outside the
	// caller's scope; the two are deliberately indistinguishable.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique value (slug, username, key prefix…) is
	// already taken.
	ErrConflict = errors.New("already exists")
	// ErrIllegalTransition means the database refused a session state
	// change that session_transitions does not allow.
	ErrIllegalTransition = errors.New("illegal session state transition")
	// ErrStateChanged means a compare-and-set transition found the session
	// in another state than expected: reload it and decide again.
	ErrStateChanged = errors.New("session state changed concurrently")
	// ErrAppendOnly means something tried to change or remove audit rows.
	ErrAppendOnly = errors.New("audit log is append-only")
	// ErrInvalidCursor means a pagination cursor was not one this store
	// issued; the client should start again from the first page.
	ErrInvalidCursor = errors.New("invalid pagination cursor")
	// ErrInvalid means the database rejected a value (a CHECK constraint or
	// a malformed input such as an IP address).
	ErrInvalid = errors.New("invalid value")
)

// ErrOwnerNotMember means a session was to be owned by a user who is not a
// member of the session's organisation. It is also ErrNotFound: to a
// caller, a user outside the organisation is one it cannot see.
var ErrOwnerNotMember = fmt.Errorf("the session's owner is not a member of its organisation: %w", ErrNotFound)

// errNoRows lets queries that check existence themselves report
// ErrNotFound through classify.
var errNoRows = pgx.ErrNoRows

// SQLSTATEs raised by this package's own triggers (see migrations).
const (
	codeIllegalTransition = "AT001"
	codeAppendOnly        = "AT002"
	codeImmutable         = "AT003"
)

// classify turns pgx and PostgreSQL errors into this package's sentinels,
// keeping the original in the chain and naming what was being done.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%s: %w (%s)", what, ErrConflict, pe.ConstraintName)
		case "23503": // foreign_key_violation: the referenced object is missing
			return fmt.Errorf("%s: referenced object %w (%s)", what, ErrNotFound, pe.ConstraintName)
		case "23514": // check_violation
			// The constraint's name stays in the text for the log;
			// clients see only the FieldError.
			return fmt.Errorf("%s: %w (%s)", what, constraintError(pe.ConstraintName), pe.ConstraintName)
		case "22P02", "22023", "23502", "22021", "22001": // invalid text, invalid parameter, not null, bad character (NUL), too long
			return fmt.Errorf("%s: %w (%s)", what, &FieldError{Detail: "a value has a form this server does not accept"}, pe.Message)
		case codeIllegalTransition:
			return fmt.Errorf("%s: %w: %s", what, ErrIllegalTransition, pe.Message)
		case codeAppendOnly:
			return fmt.Errorf("%s: %w: %s", what, ErrAppendOnly, pe.Message)
		case codeImmutable:
			return fmt.Errorf("%s: %w (%s)", what, &FieldError{Detail: "the value may not change"}, pe.Message)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// notFoundIfNone reports ErrNotFound when an UPDATE or DELETE matched no
// row, which is how out-of-scope writes surface.
func notFoundIfNone(affected int64, what string) error {
	if affected == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}
