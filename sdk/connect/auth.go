package connect

import (
	"context"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/internal/wire"
	authv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/auth/v1"
)

// authClient is the host's Auth over gRPC.
type authClient struct {
	c authv1.AuthServiceClient
}

func (a *authClient) BeginLogin(ctx context.Context, req auth.BeginLoginRequest) (auth.BeginLoginResponse, error) {
	resp, err := a.c.BeginLogin(ctx, &authv1.BeginLoginRequest{RedirectUrl: req.RedirectURL})
	if err != nil {
		return auth.BeginLoginResponse{}, fromStatus(err)
	}
	return auth.BeginLoginResponse{AuthURL: resp.GetAuthUrl(), State: resp.GetState()}, nil
}

func (a *authClient) CompleteLogin(ctx context.Context, req auth.CompleteLoginRequest) (auth.CompleteLoginResponse, error) {
	resp, err := a.c.CompleteLogin(ctx, &authv1.CompleteLoginRequest{RedirectUrl: req.RedirectURL, Params: valuesToProto(req.Params), State: req.State})
	if err != nil {
		return auth.CompleteLoginResponse{}, fromStatus(err)
	}
	return auth.CompleteLoginResponse{
		Identity:    identityFromProto(resp.GetIdentity()),
		SessionData: resp.GetSessionData(),
		ExpiresAt:   wire.Time(resp.GetExpiresAtUnixNano()),
	}, nil
}

func (a *authClient) Logout(ctx context.Context, req auth.LogoutRequest) (auth.LogoutResponse, error) {
	resp, err := a.c.Logout(ctx, &authv1.LogoutRequest{SessionData: req.SessionData, PostLogoutRedirectUrl: req.PostLogoutRedirectURL})
	if err != nil {
		return auth.LogoutResponse{}, fromStatus(err)
	}
	return auth.LogoutResponse{LogoutURL: resp.GetLogoutUrl()}, nil
}

func (a *authClient) Refresh(ctx context.Context, req auth.RefreshRequest) (auth.RefreshResponse, error) {
	resp, err := a.c.Refresh(ctx, &authv1.RefreshRequest{SessionData: req.SessionData})
	if err != nil {
		return auth.RefreshResponse{}, wire.FromStatus(err, wire.RefreshRefused)
	}
	return auth.RefreshResponse{
		Identity:    identityFromProto(resp.GetIdentity()),
		SessionData: resp.GetSessionData(),
		ExpiresAt:   wire.Time(resp.GetExpiresAtUnixNano()),
	}, nil
}

func identityFromProto(id *authv1.Identity) auth.Identity {
	return auth.Identity{
		Issuer:        id.GetIssuer(),
		Subject:       id.GetSubject(),
		Email:         id.GetEmail(),
		EmailVerified: id.GetEmailVerified(),
		Name:          id.GetName(),
		Username:      id.GetUsername(),
		Groups:        id.GetGroups(),
	}
}
