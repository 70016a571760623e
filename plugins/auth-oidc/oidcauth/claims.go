package oidcauth

import (
	"slices"
	"strings"

	"github.com/atrium-hq/atrium/sdk/auth"
)

// maxGroups bounds the groups read from one token: a provider listing more
// is misconfigured, and each group is a lookup in the core's mapping.
const maxGroups = 1000

// identityFromClaims reads the identity from an ID token's claims. It fails
// closed: a required claim that is missing, or any read claim of the wrong
// type, refuses the login rather than guessing.
func identityFromClaims(cfg *settings, claims map[string]any) (auth.Identity, error) {
	var id auth.Identity
	email, err := stringClaim(claims, cfg.emailClaim, true)
	if err != nil {
		return id, err
	}
	if err := checkEmailDomain(email, cfg.domains); err != nil {
		return id, err
	}
	id.Email = email

	switch v, ok := claims["email_verified"]; {
	case !ok:
		id.EmailVerified = false
	default:
		b, isBool := v.(bool)
		if !isBool {
			return id, refuse("claim email_verified is %s, not a boolean", typeName(v))
		}
		id.EmailVerified = b
	}
	if cfg.requireVerified && !id.EmailVerified {
		return id, refuse("the provider does not assert that %s is verified (email_verified); verify it there, or set require_email_verified = false if the provider never sends it", email)
	}

	if id.Name, err = stringClaim(claims, cfg.nameClaim, false); err != nil {
		return id, err
	}
	if id.Username, err = stringClaim(claims, cfg.userClaim, false); err != nil {
		return id, err
	}
	if cfg.groupsClaim != "" {
		if id.Groups, err = groupsClaim(claims, cfg.groupsClaim); err != nil {
			return id, err
		}
	}
	return id, nil
}

// stringClaim reads a string claim. A missing required claim, an empty
// required claim and a claim of another type are refusals.
func stringClaim(claims map[string]any, name string, required bool) (string, error) {
	v, ok := claims[name]
	if !ok || v == nil {
		if required {
			return "", refuse("the ID token has no %q claim; check the provider's scopes and the plugin's claim names", name)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", refuse("claim %q is %s, not a string", name, typeName(v))
	}
	if required && strings.TrimSpace(s) == "" {
		return "", refuse("claim %q is empty", name)
	}
	return s, nil
}

// groupsClaim reads a list of strings. A missing claim is a refusal, not an
// empty list: a provider that stopped sending groups would otherwise strip
// every user of their mapped roles, or worse, hide a misconfiguration.
func groupsClaim(claims map[string]any, name string) ([]string, error) {
	v, ok := claims[name]
	if !ok || v == nil {
		return nil, refuse(`the ID token has no %q claim; request the scope that carries groups (often "groups"), or set groups_claim = "" to read none`, name)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, refuse("claim %q is %s, not a list of strings", name, typeName(v))
	}
	if len(list) > maxGroups {
		return nil, refuse("claim %q lists %d groups, more than %d", name, len(list), maxGroups)
	}
	out := make([]string, 0, len(list))
	for i, g := range list {
		s, ok := g.(string)
		if !ok {
			return nil, refuse("element %d of claim %q is %s, not a string", i, name, typeName(g))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// checkEmailDomain admits email when domains is empty or when the part
// after its last "@" equals one of them, ignoring case. Exact match, not a
// suffix: "corp.com" does not admit "evilcorp.com" or "x.corp.com".
func checkEmailDomain(email string, domains []string) error {
	if len(domains) == 0 {
		return nil
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return refuse("%q is not an e-mail address", email)
	}
	domain := strings.ToLower(email[at+1:])
	if slices.Contains(domains, domain) {
		return nil
	}
	return refuse("e-mail domain %q is not allowed here (allowed: %s)", domain, strings.Join(domains, ", "))
}

// typeName names a decoded JSON value's type for messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return "of an unknown type"
	}
}
