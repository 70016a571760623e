package authn

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
)

// Secrets minted here carry 256 bits of randomness, so a single SHA-256 is
// enough to store them: unlike passwords they cannot be guessed, and a fast
// hash keeps every authenticated request cheap.

// NewToken returns a random URL-safe token and its SHA-256 for storage.
func NewToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the stored form of a token.
func HashToken(token string) []byte {
	h := TokenDigest([]byte(token))
	return h[:]
}

// TokenDigest is HashToken as an array, for callers that key maps by it
// on hot paths without allocating.
func TokenDigest(token []byte) [sha256.Size]byte { return sha256.Sum256(token) }

// EqualHash compares two hashes in constant time.
func EqualHash(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

// apiKeyPrefix starts every API key, so secret scanners and people can tell
// what a leaked string is.
const apiKeyPrefix = "atr_"

// APIKey is a freshly minted API key. Secret is shown once and never
// stored; Prefix finds the key's row; Hash is what is stored.
type APIKey struct {
	Prefix string
	Secret string
	Hash   []byte
}

// NewAPIKey mints a key of the form atr_<prefix>_<secret>.
func NewAPIKey() APIKey {
	p := make([]byte, 6)
	_, _ = rand.Read(p)
	prefix := base64.RawURLEncoding.EncodeToString(p)
	prefix = strings.NewReplacer("-", "x", "_", "y").Replace(prefix)
	secret, _ := NewToken()
	full := apiKeyPrefix + prefix + "_" + secret
	return APIKey{Prefix: prefix, Secret: full, Hash: HashToken(full)}
}

// ErrMalformedAPIKey is returned for strings that are not Atrium API keys.
var ErrMalformedAPIKey = errors.New("malformed API key: expected atr_<prefix>_<secret>")

// ParseAPIKey returns the prefix of a presented key and the hash to compare.
func ParseAPIKey(key string) (prefix string, hash []byte, err error) {
	rest, ok := strings.CutPrefix(key, apiKeyPrefix)
	if !ok {
		return "", nil, ErrMalformedAPIKey
	}
	prefix, secret, ok := strings.Cut(rest, "_")
	if !ok || len(prefix) != 8 || len(secret) < 40 {
		return "", nil, ErrMalformedAPIKey
	}
	return prefix, HashToken(key), nil
}
