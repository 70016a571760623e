package workspace

import (
	"fmt"

	"github.com/atrium-hq/atrium/sdk/internal/wire"
	runtimev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/runtime/v1"
	workspacev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/workspace/v1"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// The plugin side decodes requests and encodes responses; sdk/connect does
// the reverse for the host.

func sessionFromProto(p *runtimev1.Session) runtime.Session {
	return runtime.Session{
		ID:       p.GetId(),
		UserID:   p.GetUserId(),
		OrgID:    p.GetOrgId(),
		Template: p.GetTemplate(),
		Labels:   p.GetLabels(),
	}
}

func launchSpecRequestFromProto(p *workspacev1.LaunchSpecRequest) LaunchSpecRequest {
	return LaunchSpecRequest{
		Session:        sessionFromProto(p.GetSession()),
		TemplateConfig: p.GetTemplateConfigJson(),
		Image:          p.GetImage(),
		Resources:      wire.ResourcesFromProto(p.GetResources()),
		Secrets:        p.GetSecrets(),
		HomeVolume:     p.GetHomeVolume(),
		AppOrigin:      p.GetAppOrigin(),
		AppBasePath:    p.GetAppBasePath(),
	}
}

func describeResponseToProto(r DescribeResponse) (*workspacev1.DescribeResponse, error) {
	ports, err := wire.PortsToProto(r.Ports)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	return &workspacev1.DescribeResponse{
		Protocol:    protocolToProto(r.Protocol),
		Ports:       ports,
		PrimaryPort: r.PrimaryPort,
		Readiness: &workspacev1.Probe{
			Kind:       probeKindToProto(r.Readiness.Kind),
			Port:       r.Readiness.Port,
			Path:       r.Readiness.Path,
			IntervalMs: wire.Millis(r.Readiness.Interval),
			TimeoutMs:  wire.Millis(r.Readiness.Timeout),
		},
		Secrets:      r.Secrets,
		DisplayName:  r.DisplayName,
		Description:  r.Description,
		UpstreamAuth: upstreamAuthToProto(r.UpstreamAuth),
		KeepBasePath: r.KeepBasePath,
	}, nil
}

func upstreamAuthToProto(a *UpstreamAuth) *workspacev1.UpstreamAuth {
	if a == nil {
		return nil
	}
	return &workspacev1.UpstreamAuth{Header: a.Header, Prefix: a.Prefix, Secret: a.Secret}
}

func protocolToProto(p Protocol) workspacev1.Protocol {
	switch p {
	case ProtocolVNC:
		return workspacev1.Protocol_PROTOCOL_VNC
	case ProtocolHTTP:
		return workspacev1.Protocol_PROTOCOL_HTTP
	default:
		return workspacev1.Protocol_PROTOCOL_UNSPECIFIED
	}
}

func probeKindToProto(k ProbeKind) workspacev1.ProbeKind {
	switch k {
	case ProbeTCP:
		return workspacev1.ProbeKind_PROBE_KIND_TCP
	case ProbeRFB:
		return workspacev1.ProbeKind_PROBE_KIND_RFB
	case ProbeHTTP:
		return workspacev1.ProbeKind_PROBE_KIND_HTTP
	default:
		return workspacev1.ProbeKind_PROBE_KIND_UNSPECIFIED
	}
}
