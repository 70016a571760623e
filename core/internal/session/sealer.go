package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/uuid"
)

// KeySize is the length of a secrets key: AES-256.
const KeySize = 32

// sealVersion prefixes every sealed value, so the format can change.
const sealVersion = 1

// Sealer encrypts session secrets before they reach the database, with
// AES-256-GCM. Each sealed value is bound to its session's organisation and
// user, so a sealed blob copied onto another user's row does not open.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a KeySize-byte key. Every core replica
// sharing a database needs the same key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("session secrets key is %d bytes, want %d; generate one with `head -c 32 /dev/urandom`", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("session secrets key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("session secrets key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// LoadOrCreateKey reads the key in path, creating it with KeySize random
// bytes and mode 0600 when it does not exist. A file that others can read
// is refused: whoever reads it can open every session's secrets. A core
// with several replicas must configure one shared key instead.
func LoadOrCreateKey(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create directory for the session secrets key: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate session secrets key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		_, werr := f.Write(key)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			_ = os.Remove(path)
			return nil, fmt.Errorf("write session secrets key %s: %w", path, werr)
		}
		return key, nil
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("create session secrets key %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read session secrets key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("session secrets key %s has mode %v, which lets others read it; run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	key, err = os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read session secrets key: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("session secrets key %s holds %d bytes, want %d; restore it from a backup (sessions created with it cannot open their secrets otherwise)", path, len(key), KeySize)
	}
	return key, nil
}

// LoadKey reads an existing key, refusing a file others can read, one its
// group may write, or one of the wrong size. Group read is allowed: a
// Kubernetes Secret reaches a non-root pod only through its fsGroup, as
// mode 0440. Create one with `head -c 32 /dev/urandom > FILE` and
// `chmod 600 FILE`.
func LoadKey(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read session secrets key: %w; create it with `head -c 32 /dev/urandom > %s && chmod 600 %s`", err, path, path)
	}
	if st.Mode().Perm()&0o027 != 0 {
		return nil, fmt.Errorf("session secrets key %s has mode %v, which lets others read it or its group change it; run chmod 600 %s (or 440 for a group that must read it)", path, st.Mode().Perm(), path)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read session secrets key: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("session secrets key %s holds %d bytes, want %d; create it with `head -c 32 /dev/urandom > %s`", path, len(key), KeySize, path)
	}
	return key, nil
}

// KeyFingerprint names a key without revealing it: the first 16 bytes of
// an HMAC-SHA256 under the key, in hex. Replicas compare fingerprints
// through the database to find out whether they share the key.
func KeyFingerprint(key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("atrium/session-secrets-key-fingerprint/v1"))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

func sealAAD(orgID, userID uuid.UUID) []byte {
	return []byte("atrium/session-secrets/v1/" + orgID.String() + "/" + userID.String())
}

// Seal encrypts secrets for a session of userID in orgID.
func (s *Sealer) Seal(orgID, userID uuid.UUID, secrets map[string]string) ([]byte, error) {
	plain, err := json.Marshal(secrets)
	if err != nil {
		return nil, fmt.Errorf("seal session secrets: %w", err)
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal session secrets: %w", err)
	}
	out := append([]byte{sealVersion}, nonce...)
	return s.aead.Seal(out, nonce, plain, sealAAD(orgID, userID)), nil
}

// Open decrypts what Seal returned for the same organisation and user. An
// empty input opens to no secrets.
func (s *Sealer) Open(orgID, userID uuid.UUID, sealed []byte) (map[string]string, error) {
	if len(sealed) == 0 {
		return map[string]string{}, nil
	}
	ns := s.aead.NonceSize()
	if sealed[0] != sealVersion || len(sealed) < 1+ns {
		return nil, fmt.Errorf("open session secrets: unknown format %d; was the row written by a newer Atrium?", sealed[0])
	}
	plain, err := s.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], sealAAD(orgID, userID))
	if err != nil {
		return nil, fmt.Errorf("open session secrets: %w; is the core using the key it sealed them with?", err)
	}
	out := map[string]string{}
	if err := json.Unmarshal(plain, &out); err != nil {
		return nil, fmt.Errorf("open session secrets: %w", err)
	}
	return out, nil
}
