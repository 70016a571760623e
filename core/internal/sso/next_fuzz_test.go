package sso

import (
	"strings"
	"testing"
)

// FuzzCheckNext: a next accepted for the post-login redirect is always a
// path on this origin: one leading "/", never "//" or "/\", no backslash
// or control character anywhere, bounded in length.
func FuzzCheckNext(f *testing.F) {
	for _, s := range []string{"", "/", "/sessions?x=1", "//evil.test", "/\\evil.test", "https://evil.test", "/a\tb", "/%2F%2Fevil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got, err := CheckNext(next)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsRune(got, '\\') || len(got) > maxNext {
			t.Fatalf("%q accepted as %q", next, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("%q accepted with a control character", next)
			}
		}
	})
}
