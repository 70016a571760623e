package auth

import (
	"net/url"

	"github.com/atrium-hq/atrium/sdk/internal/wire"
	authv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/auth/v1"
)

// The plugin side decodes requests and encodes responses; sdk/connect does
// the reverse for the host.

func paramsFromProto(p map[string]*authv1.Values) url.Values {
	if len(p) == 0 {
		return nil
	}
	out := make(url.Values, len(p))
	for k, v := range p {
		out[k] = v.GetValues()
	}
	return out
}

func completeLoginResponseToProto(r CompleteLoginResponse) *authv1.CompleteLoginResponse {
	return &authv1.CompleteLoginResponse{
		Identity:          identityToProto(r.Identity),
		SessionData:       r.SessionData,
		ExpiresAtUnixNano: wire.UnixNano(r.ExpiresAt),
	}
}

func identityToProto(id Identity) *authv1.Identity {
	return &authv1.Identity{
		Issuer:        id.Issuer,
		Subject:       id.Subject,
		Email:         id.Email,
		EmailVerified: id.EmailVerified,
		Name:          id.Name,
		Username:      id.Username,
		Groups:        id.Groups,
	}
}
