package sso

import (
	"errors"
	"testing"
)

func TestCheckNext(t *testing.T) {
	for _, ok := range []string{"/", "/sessions", "/sessions/42?tab=apps#top", "/a/b/../c"} {
		if got, err := CheckNext(ok); err != nil || got != ok {
			t.Errorf("CheckNext(%q) = %q, %v; want it kept", ok, got, err)
		}
	}
	if got, err := CheckNext(""); err != nil || got != "/" {
		t.Errorf(`CheckNext("") = %q, %v; want "/"`, got, err)
	}
	for _, bad := range []string{
		"//evil.example", `/\evil.example`, `\\evil.example`, "https://evil.example/", "evil.example",
		"javascript:alert(1)", "/\tevil", "/\x00", "/ /evil.example", "///evil.example", "/a\\b",
		"http:/evil.example", "\n/evil", "/%2F/evil.example",
	} {
		if got, err := CheckNext(bad); !errors.Is(err, ErrBadNext) {
			t.Errorf("CheckNext(%q) = %q, %v; want ErrBadNext", bad, got, err)
		}
	}
}
