package auth

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/atrium-hq/atrium/sdk/internal/wire"
	authv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/auth/v1"
)

func (s *server) ServePage(ctx context.Context, req *authv1.ServePageRequest) (*authv1.ServePageResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	p, ok := s.impl.(PageServer)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "auth plugin serves no pages")
	}
	resp, err := p.ServePage(ctx, PageRequest{
		Method: req.GetMethod(), Path: req.GetPath(),
		Query: paramsFromProto(req.GetQuery()), Form: paramsFromProto(req.GetForm()),
		Headers: req.GetHeaders(), PagesURL: req.GetPagesUrl(),
	})
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	if resp.Login != nil {
		return &authv1.ServePageResponse{Result: &authv1.ServePageResponse_Login{Login: completeLoginResponseToProto(*resp.Login)}, Username: resp.Username}, nil
	}
	if len(resp.Body) > MaxPageBody {
		return nil, status.Errorf(codes.Internal, "auth plugin's page is %d bytes, over the %d limit", len(resp.Body), MaxPageBody)
	}
	return &authv1.ServePageResponse{Result: &authv1.ServePageResponse_Page{Page: &authv1.Page{
		Status: int32(resp.Status), ContentType: resp.ContentType, Body: resp.Body, Headers: resp.Headers,
	}}, Username: resp.Username}, nil
}
