package session

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
)

func TestSealerBindsOwnerAndKey(t *testing.T) {
	s, err := NewSealer(make32(1))
	must(t, err)
	org, alice, bob := uuid.New(), uuid.New(), uuid.New()
	sealed, err := s.Seal(org, alice, map[string]string{"vnc_password": "hunter2hunter2"})
	must(t, err)
	if bytes.Contains(sealed, []byte("hunter2")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := s.Open(org, alice, sealed)
	must(t, err)
	if got["vnc_password"] != "hunter2hunter2" {
		t.Fatalf("opened %v", got)
	}
	if _, err := s.Open(org, bob, sealed); err == nil {
		t.Fatal("secrets sealed for alice opened for bob")
	}
	other, err := NewSealer(make32(2))
	must(t, err)
	if _, err := other.Open(org, alice, sealed); err == nil {
		t.Fatal("secrets opened with another key")
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Fatal("a short key was accepted")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "session-secrets.key")
	k1, err := LoadOrCreateKey(path)
	must(t, err)
	st, err := os.Stat(path)
	must(t, err)
	if st.Mode().Perm() != 0o600 || len(k1) != KeySize {
		t.Fatalf("key file mode %v, %d bytes", st.Mode().Perm(), len(k1))
	}
	k2, err := LoadOrCreateKey(path)
	must(t, err)
	if !bytes.Equal(k1, k2) {
		t.Fatal("the key changed between starts")
	}
	must(t, os.Chmod(path, 0o644))
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("a world-readable key was accepted")
	}
}

// TestLoadKeyModes: a configured key may be group-readable (a Kubernetes
// Secret under fsGroup is 0440), never readable by others or writable by
// its group.
func TestLoadKeyModes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	must(t, os.WriteFile(path, make([]byte, KeySize), 0o600))
	for mode, ok := range map[os.FileMode]bool{0o600: true, 0o400: true, 0o440: true, 0o640: true, 0o644: false, 0o660: false, 0o604: false} {
		must(t, os.Chmod(path, mode))
		_, err := LoadKey(path)
		if ok && err != nil {
			t.Errorf("mode %v refused: %v", mode, err)
		}
		if !ok && err == nil {
			t.Errorf("mode %v accepted", mode)
		}
	}
}
