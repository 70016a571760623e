package workspace

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/atrium-hq/atrium/sdk/internal/serve"
	"github.com/atrium-hq/atrium/sdk/internal/wire"
	workspacev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/workspace/v1"
)

// server serves atrium.workspace.v1.WorkspaceService for one implementation.
type server struct {
	workspacev1.UnimplementedWorkspaceServiceServer
	impl  Workspace
	state *serve.State
}

func (s *server) Describe(ctx context.Context, _ *workspacev1.DescribeRequest) (*workspacev1.DescribeResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	resp, err := s.impl.Describe(ctx, DescribeRequest{})
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	out, err := describeResponseToProto(resp)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return out, nil
}

func (s *server) LaunchSpec(ctx context.Context, req *workspacev1.LaunchSpecRequest) (*workspacev1.LaunchSpecResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	resp, err := s.impl.LaunchSpec(ctx, launchSpecRequestFromProto(req))
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	spec, err := wire.SpecToProto(resp.Spec)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "launch spec: %v", err)
	}
	return &workspacev1.LaunchSpecResponse{Spec: spec}, nil
}
