package authn

import (
	"errors"
	"strings"
	"testing"
)

func TestAPIKeyRoundTrip(t *testing.T) {
	k := NewAPIKey()
	if !strings.HasPrefix(k.Secret, "atr_"+k.Prefix+"_") {
		t.Fatalf("key %q does not carry its prefix %q", k.Secret, k.Prefix)
	}
	prefix, hash, err := ParseAPIKey(k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if prefix != k.Prefix || !EqualHash(hash, k.Hash) {
		t.Fatalf("parse gave %q, hash match %v", prefix, EqualHash(hash, k.Hash))
	}
	if strings.Contains(string(k.Hash), k.Secret) {
		t.Fatal("hash contains the secret")
	}
	other := NewAPIKey()
	if other.Prefix == k.Prefix || other.Secret == k.Secret {
		t.Fatal("two keys collide")
	}
}

func TestParseAPIKeyRefusesMalformed(t *testing.T) {
	for _, s := range []string{"", "atr_", "Bearer x", "atr_short_" + strings.Repeat("a", 43), "xyz_abcdefgh_" + strings.Repeat("a", 43), "atr_abcdefgh_tooshort"} {
		if _, _, err := ParseAPIKey(s); !errors.Is(err, ErrMalformedAPIKey) {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func TestNewTokenIsRandomAndHashed(t *testing.T) {
	a, ha := NewToken()
	b, hb := NewToken()
	if a == b || EqualHash(ha, hb) {
		t.Fatal("tokens repeat")
	}
	if !EqualHash(HashToken(a), ha) {
		t.Fatal("HashToken disagrees with NewToken")
	}
	if len(a) < 43 {
		t.Fatalf("token too short: %d", len(a))
	}
}
