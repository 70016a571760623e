package sso

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// ErrBadNext means a login's next= is not a relative path inside Atrium.
var ErrBadNext = errors.New("next must be a relative path inside Atrium, such as /sessions")

// maxNext bounds next=; longer ones are not links people follow.
const maxNext = 2048

// CheckNext returns next when it is safe to redirect to after login: a path
// starting with exactly one "/", without backslashes, control characters,
// scheme or host. Browsers read "//host" and "/\host" as other origins, so
// both are refused. Empty next is "/".
func CheckNext(next string) (string, error) {
	if next == "" {
		return "/", nil
	}
	if len(next) > maxNext {
		return "", fmt.Errorf("%w: it is longer than %d bytes", ErrBadNext, maxNext)
	}
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "", fmt.Errorf("%w: %q does not start with a single /", ErrBadNext, next)
	}
	if strings.ContainsRune(next, '\\') {
		return "", fmt.Errorf("%w: %q contains a backslash", ErrBadNext, next)
	}
	for _, r := range next {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return "", fmt.Errorf("%w: %q contains a control or space character", ErrBadNext, next)
		}
	}
	u, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("%w: %q does not parse: %w", ErrBadNext, next, err)
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "", fmt.Errorf("%w: %q names another origin", ErrBadNext, next)
	}
	return next, nil
}
