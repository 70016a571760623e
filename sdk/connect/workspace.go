package connect

import (
	"context"

	"github.com/atrium-hq/atrium/sdk/internal/wire"
	workspacev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/workspace/v1"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// workspaceClient is the host's Workspace over gRPC.
type workspaceClient struct {
	c workspacev1.WorkspaceServiceClient
}

func (w *workspaceClient) Describe(ctx context.Context, _ workspace.DescribeRequest) (workspace.DescribeResponse, error) {
	resp, err := w.c.Describe(ctx, &workspacev1.DescribeRequest{})
	if err != nil {
		return workspace.DescribeResponse{}, fromStatus(err)
	}
	p := resp.GetReadiness()
	return workspace.DescribeResponse{
		Protocol:    protocolFromProto(resp.GetProtocol()),
		Ports:       wire.PortsFromProto(resp.GetPorts()),
		PrimaryPort: resp.GetPrimaryPort(),
		Readiness: workspace.Probe{
			Kind:     probeKindFromProto(p.GetKind()),
			Port:     p.GetPort(),
			Path:     p.GetPath(),
			Interval: wire.Duration(p.GetIntervalMs()),
			Timeout:  wire.Duration(p.GetTimeoutMs()),
		},
		Secrets:      resp.GetSecrets(),
		DisplayName:  resp.GetDisplayName(),
		Description:  resp.GetDescription(),
		UpstreamAuth: upstreamAuthFromProto(resp.GetUpstreamAuth()),
		KeepBasePath: resp.GetKeepBasePath(),
	}, nil
}

func upstreamAuthFromProto(a *workspacev1.UpstreamAuth) *workspace.UpstreamAuth {
	if a == nil {
		return nil
	}
	return &workspace.UpstreamAuth{Header: a.GetHeader(), Prefix: a.GetPrefix(), Secret: a.GetSecret()}
}

func (w *workspaceClient) LaunchSpec(ctx context.Context, req workspace.LaunchSpecRequest) (workspace.LaunchSpecResponse, error) {
	resp, err := w.c.LaunchSpec(ctx, &workspacev1.LaunchSpecRequest{
		Session:            sessionToProto(req.Session),
		TemplateConfigJson: req.TemplateConfig,
		Image:              req.Image,
		Resources:          wire.ResourcesToProto(req.Resources),
		Secrets:            req.Secrets,
		HomeVolume:         req.HomeVolume,
		AppOrigin:          req.AppOrigin,
		AppBasePath:        req.AppBasePath,
	})
	if err != nil {
		return workspace.LaunchSpecResponse{}, fromStatus(err)
	}
	return workspace.LaunchSpecResponse{Spec: wire.SpecFromProto(resp.GetSpec())}, nil
}

func protocolFromProto(p workspacev1.Protocol) workspace.Protocol {
	switch p {
	case workspacev1.Protocol_PROTOCOL_VNC:
		return workspace.ProtocolVNC
	case workspacev1.Protocol_PROTOCOL_HTTP:
		return workspace.ProtocolHTTP
	default:
		return ""
	}
}

func probeKindFromProto(k workspacev1.ProbeKind) workspace.ProbeKind {
	switch k {
	case workspacev1.ProbeKind_PROBE_KIND_TCP:
		return workspace.ProbeTCP
	case workspacev1.ProbeKind_PROBE_KIND_RFB:
		return workspace.ProbeRFB
	case workspacev1.ProbeKind_PROBE_KIND_HTTP:
		return workspace.ProbeHTTP
	default:
		return ""
	}
}
