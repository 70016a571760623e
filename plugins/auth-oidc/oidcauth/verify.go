package oidcauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"slices"
	"time"

	"github.com/atrium-hq/atrium/sdk/auth"
)

// tokenTimes are the time claims go-oidc leaves to us once its own expiry
// check is off.
type tokenTimes struct {
	NotBefore *json.Number `json:"nbf"`
	AZP       *string      `json:"azp"`
}

// tokenCheck is what an ID token must match besides the configuration: at
// login the browser's nonce; at refresh the subject of the login, since a
// refreshed token carries no nonce (OpenID Connect Core 12.2).
type tokenCheck struct {
	nonce   string
	subject string
}

// verifyToken checks a raw ID token: signature with an allowed algorithm
// and a key of the provider (refetched when rotated), issuer and audience
// (go-oidc), then expiry, not-before and issued-at within the clock skew,
// the authorized party, the nonce (login) or subject (refresh), and
// finally the claims.
func (p *Plugin) verifyToken(ctx context.Context, cfg *settings, raw string, check tokenCheck) (auth.Identity, error) {
	p.mu.Lock()
	v := p.verifier
	p.mu.Unlock()
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		return auth.Identity{}, refuse("the ID token failed verification: %v", err)
	}
	now := p.now()
	switch {
	case tok.Expiry.IsZero():
		return auth.Identity{}, refuse("the ID token has no expiry (exp)")
	case now.After(tok.Expiry.Add(cfg.skew)):
		return auth.Identity{}, refuse("the ID token expired at %s (now %s, allowed skew %s); check the provider's and this host's clocks, then log in again",
			tok.Expiry.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), cfg.skew)
	case !tok.IssuedAt.IsZero() && tok.IssuedAt.After(now.Add(cfg.skew)):
		return auth.Identity{}, refuse("the ID token was issued in the future (%s); check the clocks", tok.IssuedAt.UTC().Format(time.RFC3339))
	}
	var extra tokenTimes
	if err := tok.Claims(&extra); err != nil {
		return auth.Identity{}, refuse("the ID token's nbf or azp claim has the wrong type: %v", err)
	}
	if extra.NotBefore != nil {
		nbf, err := extra.NotBefore.Int64()
		if err != nil {
			return auth.Identity{}, refuse("the ID token's nbf is not a whole number of seconds")
		}
		if time.Unix(nbf, 0).After(now.Add(cfg.skew)) {
			return auth.Identity{}, refuse("the ID token is not valid before %s", time.Unix(nbf, 0).UTC().Format(time.RFC3339))
		}
	}
	// With several audiences, the token must have been issued to us.
	if len(tok.Audience) > 1 && (extra.AZP == nil || *extra.AZP != cfg.clientID) {
		return auth.Identity{}, refuse("the ID token names several audiences but its authorized party (azp) is not this client")
	}
	if extra.AZP != nil && *extra.AZP != cfg.clientID {
		return auth.Identity{}, refuse("the ID token's authorized party (azp) %q is not this client", *extra.AZP)
	}
	switch {
	case check.subject != "":
		if tok.Subject != check.subject {
			return auth.Identity{}, refuse("the refreshed ID token names another subject than the login did")
		}
	case check.nonce == "" || tok.Nonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(check.nonce)) != 1:
		return auth.Identity{}, refuse("the ID token's nonce does not match this browser's login (a replayed or injected token); start the login again")
	}
	if tok.Subject == "" || len(tok.Subject) > 255 {
		return auth.Identity{}, refuse("the ID token's subject (sub) is empty or longer than 255 characters")
	}
	if !slices.Contains(tok.Audience, cfg.clientID) { // go-oidc checked; keep the invariant local
		return auth.Identity{}, refuse("the ID token is not for this client")
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return auth.Identity{}, refuse("the ID token's claims do not parse: %v", err)
	}
	id, err := identityFromClaims(cfg, claims)
	if err != nil {
		return auth.Identity{}, err
	}
	id.Issuer, id.Subject = tok.Issuer, tok.Subject
	return id, nil
}
