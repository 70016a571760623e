// Package names holds the rules for the names people give users and
// organisations: usernames, display names, e-mail addresses, organisation
// slugs and names. The store applies them to every write, so the API, the
// setup page, `atrium admin create-user` and single sign-on all meet the
// same rules; single sign-on normalises what a provider sends (Sanitize)
// instead of refusing a login over it.
package names

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits.
const (
	MaxUsername    = 64
	MaxDisplayName = 128
	MaxEmail       = 254 // RFC 5321's path limit, less the brackets
	MaxOrgName     = 128
	MaxOrgSlug     = 63
)

// Error is one refused name: the field, the rule it broke (a stable
// token clients may switch on) and what to do.
type Error struct {
	Field  string
	Rule   string
	Detail string
}

func (e *Error) Error() string { return e.Field + ": " + e.Detail }

// Rules.
const (
	RuleRequired   = "required"
	RuleLength     = "length"
	RuleCharacters = "characters"
	RuleSyntax     = "syntax"
)

// usernameRe is the username alphabet: ASCII only, so no look-alike of
// another script ("аdmin" with a Cyrillic а) can pass for an existing
// name, and nothing a terminal or log viewer would interpret.
var usernameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]*$`)

// Username checks a username: 1 to 64 ASCII letters, digits, '.', '_',
// '@' and '-', starting with a letter or digit. Case does not make names
// distinct (the database compares them lower-cased).
func Username(s string) error {
	switch {
	case s == "":
		return &Error{"username", RuleRequired, "give a username"}
	case len(s) > MaxUsername:
		return &Error{"username", RuleLength, fmt.Sprintf("at most %d characters", MaxUsername)}
	case !usernameRe.MatchString(s):
		return &Error{"username", RuleCharacters, "only ASCII letters, digits, '.', '_', '@' and '-', starting with a letter or digit"}
	}
	return nil
}

// DisplayName checks a display name (empty is allowed): at most 128
// characters of valid UTF-8, without control characters, line or
// paragraph separators, or the bidirectional controls that make text
// render in another order than it reads (a right-to-left override).
func DisplayName(s string) error { return text("display_name", s, MaxDisplayName, false) }

// OrgName checks an organisation's name: as DisplayName, but required.
func OrgName(s string) error { return text("name", s, MaxOrgName, true) }

func text(field, s string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return &Error{field, RuleRequired, "give a name"}
	case !utf8.ValidString(s):
		return &Error{field, RuleCharacters, "not valid UTF-8"}
	case utf8.RuneCountInString(s) > max:
		return &Error{field, RuleLength, fmt.Sprintf("at most %d characters", max)}
	case strings.IndexFunc(s, forbidden) >= 0:
		return &Error{field, RuleCharacters, "no control characters, line separators or bidirectional overrides"}
	}
	return nil
}

// forbidden reports the runes no name may hold.
func forbidden(r rune) bool {
	switch {
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		return true
	case unicode.Is(unicode.Bidi_Control, r):
		// U+061C, U+200E/F, U+202A–E, U+2066–9.
		return true
	}
	return false
}

// Email checks an e-mail address (empty is allowed): a bare addr-spec as
// net/mail reads it, no display name or comments, at most 254 bytes.
func Email(s string) error {
	if s == "" {
		return nil
	}
	if len(s) > MaxEmail {
		return &Error{"email", RuleLength, fmt.Sprintf("at most %d characters", MaxEmail)}
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || strings.ContainsFunc(s, forbidden) {
		return &Error{"email", RuleSyntax, "give a plain address such as alice@example.com"}
	}
	return nil
}

var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// OrgSlug checks an organisation's slug: 1 to 63 lower-case ASCII letters,
// digits and '-', starting with a letter or digit.
func OrgSlug(s string) error {
	switch {
	case s == "":
		return &Error{"slug", RuleRequired, "give a slug"}
	case len(s) > MaxOrgSlug:
		return &Error{"slug", RuleLength, fmt.Sprintf("at most %d characters", MaxOrgSlug)}
	case !slugRe.MatchString(s):
		return &Error{"slug", RuleCharacters, "only lower-case ASCII letters, digits and '-', starting with a letter or digit"}
	}
	return nil
}

// SanitizeDisplayName makes what an identity provider calls a person fit
// DisplayName: forbidden runes and invalid UTF-8 dropped, surrounding
// space trimmed, cut to the limit. The provider decides the name, so a
// login is never refused over it.
func SanitizeDisplayName(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if forbidden(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxDisplayName {
		s = strings.TrimSpace(string([]rune(s)[:MaxDisplayName]))
	}
	return s
}

// SanitizeEmail keeps a provider's e-mail address if it passes Email, and
// drops it ("") otherwise: an address Atrium cannot read is no use.
func SanitizeEmail(s string) string {
	if Email(s) != nil {
		return ""
	}
	return s
}
