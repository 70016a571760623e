package connect

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/atrium-hq/atrium/sdk/internal/wire"
	pluginv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/plugin/v1"
	runtimev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/runtime/v1"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// runtimeClient is the host's Runtime over gRPC.
type runtimeClient struct {
	c runtimev1.RuntimeServiceClient
	// base asks the same plugin process for its capabilities.
	base pluginv1.PluginServiceClient
	// progress caches whether the plugin serves the progress streams.
	progress capability
}

func (r *runtimeClient) StartSession(ctx context.Context, req runtime.StartRequest) (runtime.StartResponse, error) {
	spec, err := wire.SpecToProto(req.Spec)
	if err != nil {
		return runtime.StartResponse{}, fmt.Errorf("start session %s: %w", req.Session.ID, err)
	}
	if req.Progress != nil && r.progress.has(ctx, r.base, CapProgress) {
		stream, err := r.c.StartSessionStream(ctx, &runtimev1.StartSessionStreamRequest{Session: sessionToProto(req.Session), Spec: spec})
		if err != nil {
			return runtime.StartResponse{}, fromStatus(err)
		}
		resp, err := receiveWithProgress(stream, req.Progress, (*runtimev1.StartSessionStreamResponse).GetProgress, (*runtimev1.StartSessionStreamResponse).GetResult)
		if err != nil {
			return runtime.StartResponse{}, err
		}
		return runtime.StartResponse{Handle: handleFromProto(resp.GetHandle()), Status: statusFromProto(resp.GetStatus())}, nil
	}
	resp, err := r.c.StartSession(ctx, &runtimev1.StartSessionRequest{Session: sessionToProto(req.Session), Spec: spec})
	if err != nil {
		return runtime.StartResponse{}, fromStatus(err)
	}
	return runtime.StartResponse{Handle: handleFromProto(resp.GetHandle()), Status: statusFromProto(resp.GetStatus())}, nil
}

func (r *runtimeClient) RecoverSession(ctx context.Context, req runtime.RecoverRequest) (runtime.RecoverResponse, error) {
	resp, err := r.c.RecoverSession(ctx, &runtimev1.RecoverSessionRequest{SessionId: req.SessionID, Handle: handleToProto(req.Handle)})
	if err != nil {
		return runtime.RecoverResponse{}, fromStatus(err)
	}
	return runtime.RecoverResponse{Handle: handleFromProto(resp.GetHandle()), Status: statusFromProto(resp.GetStatus())}, nil
}

func (r *runtimeClient) StopSession(ctx context.Context, req runtime.StopRequest) (runtime.StopResponse, error) {
	_, err := r.c.StopSession(ctx, &runtimev1.StopSessionRequest{
		SessionId: req.SessionID,
		Handle:    handleToProto(req.Handle),
		TimeoutMs: wire.Millis(req.Timeout),
	})
	return runtime.StopResponse{}, fromStatus(err)
}

func (r *runtimeClient) HibernateSession(ctx context.Context, req runtime.HibernateRequest) (runtime.HibernateResponse, error) {
	_, err := r.c.HibernateSession(ctx, &runtimev1.HibernateSessionRequest{SessionId: req.SessionID, Handle: handleToProto(req.Handle)})
	return runtime.HibernateResponse{}, fromStatus(err)
}

func (r *runtimeClient) ResumeSession(ctx context.Context, req runtime.ResumeRequest) (runtime.ResumeResponse, error) {
	if req.Progress != nil && r.progress.has(ctx, r.base, CapProgress) {
		stream, err := r.c.ResumeSessionStream(ctx, &runtimev1.ResumeSessionStreamRequest{SessionId: req.SessionID, Handle: handleToProto(req.Handle)})
		if err != nil {
			return runtime.ResumeResponse{}, fromStatus(err)
		}
		resp, err := receiveWithProgress(stream, req.Progress, (*runtimev1.ResumeSessionStreamResponse).GetProgress, (*runtimev1.ResumeSessionStreamResponse).GetResult)
		if err != nil {
			return runtime.ResumeResponse{}, err
		}
		return runtime.ResumeResponse{Handle: handleFromProto(resp.GetHandle()), Status: statusFromProto(resp.GetStatus())}, nil
	}
	resp, err := r.c.ResumeSession(ctx, &runtimev1.ResumeSessionRequest{SessionId: req.SessionID, Handle: handleToProto(req.Handle)})
	if err != nil {
		return runtime.ResumeResponse{}, fromStatus(err)
	}
	return runtime.ResumeResponse{Handle: handleFromProto(resp.GetHandle()), Status: statusFromProto(resp.GetStatus())}, nil
}

func (r *runtimeClient) DestroySession(ctx context.Context, req runtime.DestroyRequest) (runtime.DestroyResponse, error) {
	_, err := r.c.DestroySession(ctx, &runtimev1.DestroySessionRequest{
		SessionId:  req.SessionID,
		Handle:     handleToProto(req.Handle),
		RemoveHome: req.RemoveHome,
		HomeVolume: req.HomeVolume,
	})
	return runtime.DestroyResponse{}, fromStatus(err)
}

func (r *runtimeClient) InspectSession(ctx context.Context, req runtime.InspectRequest) (runtime.InspectResponse, error) {
	resp, err := r.c.InspectSession(ctx, &runtimev1.InspectSessionRequest{SessionId: req.SessionID, Handle: handleToProto(req.Handle)})
	if err != nil {
		return runtime.InspectResponse{}, fromStatus(err)
	}
	return runtime.InspectResponse{Status: statusFromProto(resp.GetStatus())}, nil
}

func (r *runtimeClient) ListSessions(ctx context.Context, req runtime.ListRequest) (runtime.ListResponse, error) {
	resp, err := r.c.ListSessions(ctx, &runtimev1.ListSessionsRequest{Labels: req.Labels})
	if err != nil {
		return runtime.ListResponse{}, fromStatus(err)
	}
	out := runtime.ListResponse{Sessions: make([]runtime.ListedSession, 0, len(resp.GetSessions()))}
	for _, s := range resp.GetSessions() {
		out.Sessions = append(out.Sessions, runtime.ListedSession{
			SessionID: s.GetSessionId(),
			Handle:    handleFromProto(s.GetHandle()),
			Status:    statusFromProto(s.GetStatus()),
			Labels:    s.GetLabels(),
		})
	}
	return out, nil
}

func (r *runtimeClient) WatchEvents(ctx context.Context, send func(runtime.Event) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := r.c.WatchEvents(ctx, &runtimev1.WatchEventsRequest{})
	if err != nil {
		return fromStatus(err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fromStatus(err)
		}
		if err := send(eventFromProto(resp.GetEvent())); err != nil {
			return err
		}
	}
}

func (r *runtimeClient) OpenTunnel(ctx context.Context, req runtime.TunnelRequest) (Tunnel, error) {
	port, err := wire.PortToProto(req.Port)
	if err != nil {
		return Tunnel{}, fmt.Errorf("open tunnel to session %s: %w", req.SessionID, err)
	}
	resp, err := r.c.OpenTunnel(ctx, &runtimev1.OpenTunnelRequest{SessionId: req.SessionID, Handle: handleToProto(req.Handle), Port: port})
	if err != nil {
		return Tunnel{}, fromStatus(err)
	}
	switch t := resp.GetTarget().(type) {
	case *runtimev1.OpenTunnelResponse_Endpoint:
		return Tunnel{Endpoint: t.Endpoint.GetAddress()}, nil
	case *runtimev1.OpenTunnelResponse_Socket:
		return Tunnel{Socket: &Socket{Path: t.Socket.GetPath(), Token: t.Socket.GetToken()}}, nil
	default:
		return Tunnel{}, fmt.Errorf("open tunnel to session %s: plugin answered with neither an endpoint nor a socket; upgrade the plugin", req.SessionID)
	}
}
