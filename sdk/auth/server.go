package auth

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/atrium-hq/atrium/sdk/internal/serve"
	"github.com/atrium-hq/atrium/sdk/internal/wire"
	authv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/auth/v1"
)

// server serves atrium.auth.v1.AuthService for one implementation.
type server struct {
	authv1.UnimplementedAuthServiceServer
	impl  Auth
	state *serve.State
}

func (s *server) BeginLogin(ctx context.Context, req *authv1.BeginLoginRequest) (*authv1.BeginLoginResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	resp, err := s.impl.BeginLogin(ctx, BeginLoginRequest{RedirectURL: req.GetRedirectUrl()})
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &authv1.BeginLoginResponse{AuthUrl: resp.AuthURL, State: resp.State}, nil
}

func (s *server) CompleteLogin(ctx context.Context, req *authv1.CompleteLoginRequest) (*authv1.CompleteLoginResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	resp, err := s.impl.CompleteLogin(ctx, CompleteLoginRequest{
		RedirectURL: req.GetRedirectUrl(),
		Params:      paramsFromProto(req.GetParams()),
		State:       req.GetState(),
	})
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return completeLoginResponseToProto(resp), nil
}

func (s *server) Logout(ctx context.Context, req *authv1.LogoutRequest) (*authv1.LogoutResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	l, ok := s.impl.(LogoutURLer)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "auth plugin's provider offers no logout")
	}
	resp, err := l.Logout(ctx, LogoutRequest{SessionData: req.GetSessionData(), PostLogoutRedirectURL: req.GetPostLogoutRedirectUrl()})
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &authv1.LogoutResponse{LogoutUrl: resp.LogoutURL}, nil
}

func (s *server) Refresh(ctx context.Context, req *authv1.RefreshRequest) (*authv1.RefreshResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	r, ok := s.impl.(Refresher)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "auth plugin cannot refresh identities")
	}
	resp, err := r.Refresh(ctx, RefreshRequest{SessionData: req.GetSessionData()})
	if err != nil {
		return nil, wire.ToStatus(err, wire.RefreshRefused)
	}
	return &authv1.RefreshResponse{
		Identity:          identityToProto(resp.Identity),
		SessionData:       resp.SessionData,
		ExpiresAtUnixNano: wire.UnixNano(resp.ExpiresAt),
	}, nil
}
