// Package oidcfake is a FAKE OpenID provider for tests: discovery, keys,
// an authorization endpoint that logs the configured user in at once, and a
// token endpoint that checks PKCE and rotates refresh tokens (issued when
// offline_access is asked for). Real providers (Dex) never mint the
// broken tokens the negative tests need, such as alg "none", a wrong
// audience or an expired token, so this fake can be told to. Never use it
// outside tests.
package oidcfake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Provider is a running fake OpenID provider on loopback.
type Provider struct {
	// Issuer is the fake's issuer URL (its base URL).
	Issuer       string
	ClientID     string
	ClientSecret string

	srv *httptest.Server

	mu    sync.Mutex
	key   *rsa.PrivateKey
	kid   string
	codes map[string]grant
	// claims are the user's claims put into every ID token.
	claims map[string]any
	tamper func(header, claims map[string]any)
	// endSession is advertised in discovery when set.
	endSession bool
	// refresh maps each live refresh token to nothing; a refresh spends
	// the token and issues a new one (rotation).
	refresh map[string]bool
}

// grant is one issued authorization code.
type grant struct {
	clientID, redirectURI, nonce, challenge, scope string
}

// New starts a fake provider for one client, stopped when tb ends. Its
// user is "fake-user" with a verified e-mail at corp.com and no groups.
func New(tb testing.TB, clientID, clientSecret string) *Provider {
	tb.Helper()
	p := &Provider{ClientID: clientID, ClientSecret: clientSecret, codes: map[string]grant{}, refresh: map[string]bool{}}
	p.RotateKey(tb)
	p.SetClaims(map[string]any{"sub": "fake-user", "email": "fake@corp.com", "email_verified": true, "name": "Fake User", "groups": []any{}})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.keys)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	p.Issuer = p.srv.URL
	tb.Cleanup(p.srv.Close)
	return p
}

// SetClaims replaces the user claims of later ID tokens; iss, aud, exp,
// iat and nonce are added on top.
func (p *Provider) SetClaims(c map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.claims = c
}

// Tamper makes later ID tokens pass through fn before signing, so a test
// can change any header field (alg) or claim (iss, aud, exp, nonce).
func (p *Provider) Tamper(fn func(header, claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = fn
}

// AdvertiseEndSession makes discovery name an end_session_endpoint.
func (p *Provider) AdvertiseEndSession() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endSession = true
}

// RevokeRefreshTokens forgets every refresh token issued so far, as a
// provider does when it disables or removes the user.
func (p *Provider) RevokeRefreshTokens() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.refresh)
}

// RotateKey replaces the signing key with a new one under a new key id.
func (p *Provider) RotateKey(tb testing.TB) {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatalf("oidcfake: generate key: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.key, p.kid = k, randomString(8)
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	doc := map[string]any{
		"issuer":                                p.Issuer,
		"authorization_endpoint":                p.Issuer + "/authorize",
		"token_endpoint":                        p.Issuer + "/token",
		"jwks_uri":                              p.Issuer + "/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	}
	if p.endSession {
		doc["end_session_endpoint"] = p.Issuer + "/logout"
	}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, doc)
}

func (p *Provider) keys(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	pub := p.key.PublicKey
	kid := p.kid
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// authorize logs the user in at once and redirects back with a code.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" {
		http.Error(w, "oidcfake: unknown client or response type", http.StatusBadRequest)
		return
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "oidcfake: PKCE with S256 is required", http.StatusBadRequest)
		return
	}
	code := randomString(16)
	p.mu.Lock()
	p.codes[code] = grant{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), scope: q.Get("scope")}
	p.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "oidcfake: bad redirect_uri", http.StatusBadRequest)
		return
	}
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token redeems a code once, checking client, redirect URI and PKCE.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || secret != p.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if r.PostForm.Get("grant_type") == "refresh_token" {
		p.refreshGrant(w, r.PostForm.Get("refresh_token"))
		return
	}
	p.mu.Lock()
	g, found := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !found || g.redirectURI != r.PostForm.Get("redirect_uri") || b64(sum[:]) != g.challenge {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	idToken, err := p.mint(g.nonce)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	resp := map[string]any{"access_token": randomString(16), "token_type": "Bearer", "expires_in": 300, "id_token": idToken}
	if slices.Contains(strings.Fields(g.scope), "offline_access") {
		resp["refresh_token"] = p.newRefreshToken()
	}
	writeJSON(w, http.StatusOK, resp)
}

// refreshGrant spends a refresh token for a new ID token (without nonce)
// and a new refresh token.
func (p *Provider) refreshGrant(w http.ResponseWriter, token string) {
	p.mu.Lock()
	live := p.refresh[token]
	delete(p.refresh, token)
	p.mu.Unlock()
	if !live {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "refresh token is unknown or revoked"})
		return
	}
	idToken, err := p.mint("")
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": randomString(16), "token_type": "Bearer", "expires_in": 300,
		"id_token": idToken, "refresh_token": p.newRefreshToken()})
}

func (p *Provider) newRefreshToken() string {
	t := randomString(24)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refresh[t] = true
	return t
}

// mint builds and signs an ID token (or leaves it unsigned when a tamper
// set alg "none").
func (p *Provider) mint(nonce string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	claims := map[string]any{"iss": p.Issuer, "aud": p.ClientID, "exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix()}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	for k, v := range p.claims {
		claims[k] = v
	}
	header := map[string]any{"alg": "RS256", "typ": "JWT", "kid": p.kid}
	if p.tamper != nil {
		p.tamper(header, claims)
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signing := b64(hb) + "." + b64(cb)
	if header["alg"] == "none" {
		return signing + ".", nil
	}
	h := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, h[:])
	if err != nil {
		return "", fmt.Errorf("oidcfake: sign: %w", err)
	}
	return signing + "." + b64(sig), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b64(b)
}
