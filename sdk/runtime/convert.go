package runtime

import (
	"github.com/atrium-hq/atrium/sdk/internal/wire"
	runtimev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/runtime/v1"
)

// The plugin side decodes requests and encodes responses; sdk/connect does
// the reverse for the host.

func handleFromProto(p *runtimev1.Handle) Handle {
	return Handle{Version: p.GetVersion(), Data: p.GetData()}
}

func handleToProto(h Handle) *runtimev1.Handle {
	return &runtimev1.Handle{Version: h.Version, Data: h.Data}
}

func sessionFromProto(p *runtimev1.Session) Session {
	return Session{
		ID:       p.GetId(),
		UserID:   p.GetUserId(),
		OrgID:    p.GetOrgId(),
		Template: p.GetTemplate(),
		Labels:   p.GetLabels(),
	}
}

func stateToProto(s State) runtimev1.State {
	switch s {
	case StateStarting:
		return runtimev1.State_STATE_STARTING
	case StateRunning:
		return runtimev1.State_STATE_RUNNING
	case StateStopped:
		return runtimev1.State_STATE_STOPPED
	case StateExited:
		return runtimev1.State_STATE_EXITED
	case StateMissing:
		return runtimev1.State_STATE_MISSING
	default:
		return runtimev1.State_STATE_UNSPECIFIED
	}
}

func statusToProto(s Status) *runtimev1.Status {
	return &runtimev1.Status{
		State:             stateToProto(s.State),
		InstanceId:        s.InstanceID,
		Message:           s.Message,
		ExitCode:          int32(s.ExitCode),
		StartedAtUnixNano: wire.UnixNano(s.StartedAt),
		Addresses:         s.Addresses,
	}
}

func tunnelRequestFromProto(p *runtimev1.OpenTunnelRequest) TunnelRequest {
	return TunnelRequest{
		SessionID: p.GetSessionId(),
		Handle:    handleFromProto(p.GetHandle()),
		Port:      int(p.GetPort()),
	}
}
