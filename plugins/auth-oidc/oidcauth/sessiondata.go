package oidcauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// offlineAccess is the scope that asks the provider for a refresh token.
const offlineAccess = "offline_access"

// sessionVersion is bumped when sessionData changes shape.
const sessionVersion = 1

// sessionData is what CompleteLogin and Refresh hand the core to keep with
// the login session (server-side, in login_sessions.plugin_session_data)
// and give back to Logout and Refresh.
type sessionData struct {
	Version int `json:"v,omitempty"`
	// IDToken is sent back to the provider as id_token_hint at logout.
	IDToken string `json:"id_token"`
	// Subject is the login's subject; a refreshed ID token must name it.
	Subject string `json:"sub,omitempty"`
	// RefreshToken is sealed (AES-GCM, key derived from the client
	// secret) when the client has a secret, so the database alone does
	// not give it away; public clients have nothing to derive a key from
	// and store it as is. Either way it is never logged.
	RefreshToken string `json:"rt,omitempty"`
	// Sealed says RefreshToken is sealed.
	Sealed bool `json:"sealed,omitempty"`
}

// encodeSessionData builds the session data of a login or refresh.
func encodeSessionData(cfg *settings, subject, idToken, refreshToken string) ([]byte, error) {
	sd := sessionData{Version: sessionVersion, IDToken: idToken, Subject: subject}
	if cfg.refresh && refreshToken != "" {
		sd.RefreshToken = refreshToken
		if cfg.clientSecret != "" {
			sealed, err := seal(cfg, refreshToken)
			if err != nil {
				return nil, err
			}
			sd.RefreshToken, sd.Sealed = sealed, true
		}
	}
	b, err := json.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("encode session data: %w", err)
	}
	return b, nil
}

// decodeSessionData parses what encodeSessionData built; data of earlier
// versions (only an ID token) parses too.
func decodeSessionData(raw []byte) (sessionData, error) {
	var sd sessionData
	if len(raw) == 0 {
		return sd, errors.New("the login session holds no data of this plugin")
	}
	if err := json.Unmarshal(raw, &sd); err != nil {
		return sd, fmt.Errorf("the login session's plugin data does not parse: %w", err)
	}
	return sd, nil
}

// refreshToken returns the session's refresh token in the clear.
func (sd sessionData) refreshToken(cfg *settings) (string, error) {
	if !sd.Sealed {
		return sd.RefreshToken, nil
	}
	return unseal(cfg, sd.RefreshToken)
}

// sealKey derives the AES-256 key that seals refresh tokens from the
// client secret, bound to the issuer and client id.
func sealKey(cfg *settings) ([]byte, error) {
	if cfg.clientSecret == "" {
		return nil, errors.New("no client secret to derive a sealing key from")
	}
	return hkdf.Key(sha256.New, []byte(cfg.clientSecret), []byte(cfg.issuer+"\x00"+cfg.clientID), "atrium auth-oidc refresh token v1", 32)
}

func gcm(cfg *settings) (cipher.AEAD, error) {
	key, err := sealKey(cfg)
	if err != nil {
		return nil, fmt.Errorf("derive the refresh token key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("refresh token key: %w", err)
	}
	return cipher.NewGCM(block)
}

// seal encrypts a refresh token.
func seal(cfg *settings, plain string) (string, error) {
	aead, err := gcm(cfg)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal the refresh token: %w", err)
	}
	return base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(plain), []byte(cfg.clientID))), nil
}

// unseal decrypts a sealed refresh token. It fails when the client secret
// changed since the login: the person then logs in again.
func unseal(cfg *settings, sealed string) (string, error) {
	aead, err := gcm(cfg)
	if err != nil {
		return "", err
	}
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < aead.NonceSize() {
		return "", errors.New("the sealed refresh token is malformed")
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(cfg.clientID))
	if err != nil {
		return "", errors.New("the refresh token does not unseal (was client_secret changed since the login?); the person must log in again")
	}
	return string(plain), nil
}
