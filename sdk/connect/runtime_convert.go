package connect

import (
	"github.com/atrium-hq/atrium/sdk/internal/wire"
	runtimev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/runtime/v1"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// The host encodes requests and decodes responses; the kind packages do the
// reverse on the plugin side.

func handleToProto(h runtime.Handle) *runtimev1.Handle {
	return &runtimev1.Handle{Version: h.Version, Data: h.Data}
}

func handleFromProto(p *runtimev1.Handle) runtime.Handle {
	return runtime.Handle{Version: p.GetVersion(), Data: p.GetData()}
}

func sessionToProto(s runtime.Session) *runtimev1.Session {
	return &runtimev1.Session{
		Id:       s.ID,
		UserId:   s.UserID,
		OrgId:    s.OrgID,
		Template: s.Template,
		Labels:   s.Labels,
	}
}

func stateFromProto(s runtimev1.State) runtime.State {
	switch s {
	case runtimev1.State_STATE_STARTING:
		return runtime.StateStarting
	case runtimev1.State_STATE_RUNNING:
		return runtime.StateRunning
	case runtimev1.State_STATE_STOPPED:
		return runtime.StateStopped
	case runtimev1.State_STATE_EXITED:
		return runtime.StateExited
	case runtimev1.State_STATE_MISSING:
		return runtime.StateMissing
	default:
		return runtime.StateUnknown
	}
}

func statusFromProto(p *runtimev1.Status) runtime.Status {
	return runtime.Status{
		State:      stateFromProto(p.GetState()),
		InstanceID: p.GetInstanceId(),
		Message:    p.GetMessage(),
		ExitCode:   int(p.GetExitCode()),
		StartedAt:  wire.Time(p.GetStartedAtUnixNano()),
		Addresses:  p.GetAddresses(),
	}
}

func eventFromProto(p *runtimev1.Event) runtime.Event {
	return runtime.Event{
		SessionID: p.GetSessionId(),
		Status:    statusFromProto(p.GetStatus()),
		Time:      wire.Time(p.GetTimeUnixNano()),
	}
}
