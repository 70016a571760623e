package authn

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash is not argon2id PHC: %q", h)
	}
	if ok, err := CheckPassword("correct horse battery", h); !ok || err != nil {
		t.Fatalf("right password refused: %v %v", ok, err)
	}
	if ok, _ := CheckPassword("correct horse batterY", h); ok {
		t.Fatal("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
}

func TestPasswordRefusals(t *testing.T) {
	if _, err := HashPassword("short"); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("short password: %v", err)
	}
	if ok, err := CheckPassword("anything at all", ""); ok || err != nil {
		t.Fatalf("empty hash: %v %v", ok, err)
	}
	if _, err := CheckPassword("anything at all", "$argon2id$garbage"); err == nil {
		t.Fatal("malformed hash gave no error")
	}
}
