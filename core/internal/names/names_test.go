package names

import (
	"errors"
	"strings"
	"testing"
)

func rule(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Rule
	}
	return ""
}

func TestUsername(t *testing.T) {
	for s, want := range map[string]string{
		"alice": "", "Alice.B_c-d": "", "alice@example.com": "", "a": "", strings.Repeat("a", 64): "",
		"":                       RuleRequired,
		strings.Repeat("a", 65):  RuleLength,
		strings.Repeat("a", 1e4): RuleLength,
		"\u0430dmin":             RuleCharacters, // Cyrillic а
		"admin\u202e":            RuleCharacters,
		"al ice":                 RuleCharacters,
		"-alice":                 RuleCharacters,
		".alice":                 RuleCharacters,
		"alice\x00":              RuleCharacters,
		"ａｄｍｉｎ":                  RuleCharacters, // full-width
	} {
		if got := rule(Username(s)); got != want {
			t.Errorf("Username(%q): rule %q, want %q", s, got, want)
		}
	}
}

func TestDisplayNameAndOrgName(t *testing.T) {
	for s, want := range map[string]string{
		"": "", "Alice Liddell": "", "José Müller": "", "山田太郎": "", "👩‍💻 Ada": "", strings.Repeat("é", 128): "",
		strings.Repeat("é", 129): RuleLength,
		"evil\u202egnp.exe":      RuleCharacters, // right-to-left override
		"a\u2066b":               RuleCharacters, // isolate
		"a\u200fb":               RuleCharacters, // RLM
		"two\nlines":             RuleCharacters,
		"nul\x00":                RuleCharacters,
		"sep\u2028":              RuleCharacters,
		"bad\xff":                RuleCharacters,
	} {
		if got := rule(DisplayName(s)); got != want {
			t.Errorf("DisplayName(%q): rule %q, want %q", s, got, want)
		}
	}
	if rule(OrgName("  ")) != RuleRequired || OrgName("Research & Development") != nil {
		t.Error("OrgName: a blank name must be required, a plain one pass")
	}
}

func TestEmail(t *testing.T) {
	for s, want := range map[string]string{
		"": "", "alice@example.com": "", "a.b+c@sub.example.org": "",
		"not an address":                    RuleSyntax,
		"alice":                             RuleSyntax,
		"Alice <alice@example.com>":         RuleSyntax,
		"alice@example.com (home)":          RuleSyntax,
		" alice@example.com":                RuleSyntax,
		"alice@exa\u202emple.com":           RuleSyntax,
		strings.Repeat("a", 250) + "@b.com": RuleLength,
	} {
		if got := rule(Email(s)); got != want {
			t.Errorf("Email(%q): rule %q, want %q", s, got, want)
		}
	}
}

func TestOrgSlug(t *testing.T) {
	for s, want := range map[string]string{
		"org-a": "", "a": "", "0rg": "", strings.Repeat("a", 63): "",
		"": RuleRequired, strings.Repeat("a", 64): RuleLength, "Org": RuleCharacters, "-a": RuleCharacters, "a_b": RuleCharacters,
	} {
		if got := rule(OrgSlug(s)); got != want {
			t.Errorf("OrgSlug(%q): rule %q, want %q", s, got, want)
		}
	}
}

// TestSanitize: what a provider sends becomes a name the rules accept.
func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"  Alice  ":              "Alice",
		"evil\u202egnp.exe":      "evilgnp.exe",
		"line\nbreak\x00":        "linebreak",
		"bad\xffutf8":            "badutf8",
		strings.Repeat("é", 300): strings.Repeat("é", 128),
	} {
		got := SanitizeDisplayName(in)
		if got != want || DisplayName(got) != nil {
			t.Errorf("SanitizeDisplayName(%q) = %q, want %q", in, got, want)
		}
	}
	if SanitizeEmail("alice@example.com") != "alice@example.com" || SanitizeEmail("Alice <a@b.c>") != "" {
		t.Error("SanitizeEmail keeps good addresses and drops the rest")
	}
}
