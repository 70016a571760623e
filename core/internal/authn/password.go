// Package authn proves who a request comes from: built-in password
// accounts, login-session cookies, API keys, and the secrets behind them.
package authn

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/alexedwards/argon2id"
)

// passwordParams follow RFC 9106's second recommended option, scaled so a
// login costs tens of milliseconds on a small server.
var passwordParams = &argon2id.Params{
	Memory:      64 * 1024,
	Iterations:  3,
	Parallelism: uint8(min(runtime.NumCPU(), 4)),
	SaltLength:  16,
	KeyLength:   32,
}

// MinPasswordLength is the shortest password an account may have.
const MinPasswordLength = 10

// ErrWeakPassword is returned for passwords too short to keep.
var ErrWeakPassword = fmt.Errorf("password too short: use at least %d characters", MinPasswordLength)

// HashPassword returns an argon2id hash in PHC string form.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", ErrWeakPassword
	}
	h, err := argon2id.CreateHash(password, passwordParams)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// dummyHash is compared against when a login names no known user, so an
// unknown user costs as much time as a wrong password and the two cannot be
// told apart.
var dummyHash = sync.OnceValue(func() string {
	h, err := argon2id.CreateHash("atrium-no-such-user-password", passwordParams)
	if err != nil {
		panic(err)
	}
	return h
})

// CheckPassword reports whether password matches hash. An empty hash (an
// account without a password, or no account at all) never matches but
// costs the same time as a real comparison.
func CheckPassword(password, hash string) (bool, error) {
	if hash == "" {
		_, _ = argon2id.ComparePasswordAndHash(password, dummyHash())
		return false, nil
	}
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	if err != nil {
		return false, fmt.Errorf("check password: %w", errors.Join(err, errors.New("the stored hash is malformed; reset the password")))
	}
	return ok, nil
}
