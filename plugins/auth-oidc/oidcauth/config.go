package oidcauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// Defaults of the config block. They are applied here too, not only by the
// core's schema decoding, so a config handed over without them behaves the
// same.
var (
	// DefaultScopes asks for what the claims below need.
	DefaultScopes = []string{"openid", "email", "profile", "groups"}
	// DefaultSigningAlgs are the algorithms accepted on ID tokens unless
	// the config narrows or widens them. "none" is never accepted.
	DefaultSigningAlgs = []string{"RS256", "ES256"}
)

// Default claim names and limits.
const (
	DefaultEmailClaim    = "email"
	DefaultNameClaim     = "name"
	DefaultGroupsClaim   = "groups"
	DefaultUsernameClaim = "preferred_username"
	DefaultClockSkew     = 30 * time.Second
	// maxClockSkew bounds the configurable skew: more than this would keep
	// stolen, expired tokens useful for too long.
	maxClockSkew = 5 * time.Minute
)

// knownAlgs are the asymmetric JWS algorithms go-oidc verifies. HMAC
// algorithms are left out: they would make the client secret a signing key.
var knownAlgs = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"}

// Config is the decoded `config { }` block of auth-oidc.
type Config struct {
	// Issuer is the provider's issuer URL, exactly as its discovery
	// document names it.
	Issuer string `json:"issuer"`
	// ClientID is this Atrium's client at the provider; ID tokens must name
	// it as their audience.
	ClientID string `json:"client_id"`
	// ClientSecret is empty for public clients, which PKCE still protects.
	ClientSecret string `json:"client_secret,omitempty"`
	// Scopes are requested at the provider; "openid" is always included.
	Scopes []string `json:"scopes,omitempty"`
	// EmailClaim, NameClaim, GroupsClaim and UsernameClaim name the ID
	// token claims the identity is read from. An empty GroupsClaim reads
	// no groups at all; the others cannot be turned off.
	EmailClaim    string  `json:"email_claim,omitempty"`
	NameClaim     string  `json:"name_claim,omitempty"`
	GroupsClaim   *string `json:"groups_claim,omitempty"`
	UsernameClaim string  `json:"username_claim,omitempty"`
	// AllowedEmailDomains, when set, admits only e-mail addresses whose
	// domain (after the last "@") equals one of them, ignoring case.
	AllowedEmailDomains []string `json:"allowed_email_domains,omitempty"`
	// RequireEmailVerified refuses identities whose provider does not
	// assert email_verified = true. Default true.
	RequireEmailVerified *bool `json:"require_email_verified,omitempty"`
	// SigningAlgs allow-lists ID token signature algorithms.
	SigningAlgs []string `json:"signing_algs,omitempty"`
	// ClockSkew is how far the provider's clock may be off, e.g. "30s".
	ClockSkew string `json:"clock_skew,omitempty"`
	// Refresh asks for offline_access and keeps the refresh token, so the
	// core can re-check the person at the provider while logged in.
	Refresh bool `json:"refresh,omitempty"`
}

// settings is a checked Config with defaults applied.
type settings struct {
	issuer, clientID, clientSecret                string
	scopes                                        []string
	emailClaim, nameClaim, groupsClaim, userClaim string
	domains                                       []string
	requireVerified                               bool
	algs                                          []string
	skew                                          time.Duration
	refresh                                       bool
}

// configSchema describes the config block to the core.
func configSchema() schema.Object {
	return schema.Object{Attrs: map[string]schema.Attr{
		"issuer":                 {Type: "string", Required: true, Description: "The provider's issuer URL, exactly as its discovery document (/.well-known/openid-configuration) names it. https, or http on loopback only."},
		"client_id":              {Type: "string", Required: true, Description: "This Atrium's OAuth client id at the provider."},
		"client_secret":          {Type: "string", Sensitive: true, Description: `The client secret; give it with env("…") or file("…"), never inline. Leave it out for a public client.`},
		"scopes":                 {Type: "list(string)", Default: DefaultScopes, Description: `Scopes to request; "openid" is always added.`},
		"email_claim":            {Type: "string", Default: DefaultEmailClaim, Description: "ID token claim holding the e-mail address (a string; required)."},
		"name_claim":             {Type: "string", Default: DefaultNameClaim, Description: "ID token claim holding the display name (a string when present)."},
		"groups_claim":           {Type: "string", Default: DefaultGroupsClaim, Description: `ID token claim holding the groups (a list of strings; required unless this is "", which reads no groups).`},
		"username_claim":         {Type: "string", Default: DefaultUsernameClaim, Description: "ID token claim holding the preferred username (a string when present)."},
		"allowed_email_domains":  {Type: "list(string)", Description: `Only e-mail addresses in these domains may log in, matched exactly, ignoring case: "corp.com" admits a@corp.com, not a@sub.corp.com or a@evilcorp.com. Empty: any domain.`},
		"require_email_verified": {Type: "bool", Default: true, Description: "Refuse identities whose provider does not assert email_verified = true."},
		"signing_algs":           {Type: "list(string)", Default: DefaultSigningAlgs, Description: `ID token signature algorithms to accept; "none" is always refused.`},
		"clock_skew":             {Type: "string", Default: DefaultClockSkew.String(), Description: "How far the provider's clock may be off, as a duration up to 5m."},
		"refresh":                {Type: "bool", Default: false, Description: `Ask for "offline_access" and keep the refresh token (sealed with a key derived from client_secret), so Atrium re-checks the person at the provider every few minutes: new groups apply, and a person disabled there loses access. The provider must issue refresh tokens to this client.`},
	}}
}

// decodeConfig decodes and checks a config block.
func decodeConfig(raw json.RawMessage) (settings, error) {
	var c Config
	if err := plugin.DecodeConfig(raw, &c); err != nil {
		return settings{}, fmt.Errorf("auth-oidc config: %w; see the plugin's documented attributes", err)
	}
	return c.settings()
}

// settings checks c and fills in defaults.
func (c Config) settings() (settings, error) {
	var errs []error
	s := settings{
		issuer: c.Issuer, clientID: c.ClientID, clientSecret: c.ClientSecret,
		emailClaim: or(c.EmailClaim, DefaultEmailClaim), nameClaim: or(c.NameClaim, DefaultNameClaim),
		groupsClaim: DefaultGroupsClaim, userClaim: or(c.UsernameClaim, DefaultUsernameClaim),
		requireVerified: c.RequireEmailVerified == nil || *c.RequireEmailVerified,
		skew:            DefaultClockSkew,
		refresh:         c.Refresh,
	}
	if c.GroupsClaim != nil {
		s.groupsClaim = *c.GroupsClaim
	}
	if err := checkIssuer(c.Issuer); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(c.ClientID) == "" {
		errs = append(errs, errors.New("client_id is empty: give the client id registered at the provider"))
	}

	s.scopes = c.Scopes
	if len(s.scopes) == 0 {
		s.scopes = DefaultScopes
	}
	if !slices.Contains(s.scopes, "openid") {
		s.scopes = append([]string{"openid"}, s.scopes...)
	}
	if s.refresh && !slices.Contains(s.scopes, offlineAccess) {
		s.scopes = append(slices.Clip(s.scopes), offlineAccess)
	}

	for _, d := range c.AllowedEmailDomains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" || strings.ContainsAny(d, "@*/ ") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
			errs = append(errs, fmt.Errorf("allowed_email_domains: %q is not a domain; give bare domains such as \"corp.com\" (no @, no wildcard, no leading dot)", d))
			continue
		}
		s.domains = append(s.domains, d)
	}

	s.algs = c.SigningAlgs
	if len(s.algs) == 0 {
		s.algs = DefaultSigningAlgs
	}
	for _, a := range s.algs {
		switch {
		case strings.EqualFold(a, "none"):
			errs = append(errs, errors.New(`signing_algs: "none" would accept unsigned ID tokens and is never allowed; remove it`))
		case !slices.Contains(knownAlgs, a):
			errs = append(errs, fmt.Errorf("signing_algs: %q is not supported; use some of %s", a, strings.Join(knownAlgs, ", ")))
		}
	}

	if c.ClockSkew != "" {
		d, err := time.ParseDuration(c.ClockSkew)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("clock_skew: %w; write a duration such as \"30s\"", err))
		case d < 0 || d > maxClockSkew:
			errs = append(errs, fmt.Errorf("clock_skew: %s is outside 0 to %s", d, maxClockSkew))
		default:
			s.skew = d
		}
	}
	if err := errors.Join(errs...); err != nil {
		return settings{}, fmt.Errorf("auth-oidc config: %w", err)
	}
	return s, nil
}

// checkIssuer requires an absolute https URL, or http on a loopback host
// (for development and tests): tokens and secrets travel to it.
func checkIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("issuer %q is not an absolute URL without query or fragment; copy it from the provider's discovery document", issuer)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return fmt.Errorf("issuer %q uses plain http; only loopback providers may, use https", issuer)
	default:
		return fmt.Errorf("issuer %q must use https", issuer)
	}
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
