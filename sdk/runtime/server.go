package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/atrium-hq/atrium/sdk/internal/serve"
	"github.com/atrium-hq/atrium/sdk/internal/wire"
	runtimev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/runtime/v1"
)

// notFound carries ErrSessionNotFound as codes.NotFound.
var notFound = wire.Sentinel{Err: ErrSessionNotFound, Code: codes.NotFound}

// server serves atrium.runtime.v1.RuntimeService for one implementation.
type server struct {
	runtimev1.UnimplementedRuntimeServiceServer
	impl  Runtime
	state *serve.State
}

func toStatus(err error) error {
	return wire.ToStatus(err, notFound)
}

func (s *server) StartSession(ctx context.Context, req *runtimev1.StartSessionRequest) (*runtimev1.StartSessionResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	return s.start(ctx, req.GetSession(), req.GetSpec(), noProgress)
}

// start serves StartSession and StartSessionStream.
func (s *server) start(ctx context.Context, sess *runtimev1.Session, spec *runtimev1.LaunchSpec, progress func(Progress)) (*runtimev1.StartSessionResponse, error) {
	resp, err := s.impl.StartSession(ctx, StartRequest{
		Session:  sessionFromProto(sess),
		Spec:     wire.SpecFromProto(spec),
		Progress: progress,
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &runtimev1.StartSessionResponse{Handle: handleToProto(resp.Handle), Status: statusToProto(resp.Status)}, nil
}

func (s *server) RecoverSession(ctx context.Context, req *runtimev1.RecoverSessionRequest) (*runtimev1.RecoverSessionResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	resp, err := s.impl.RecoverSession(ctx, RecoverRequest{SessionID: req.GetSessionId(), Handle: handleFromProto(req.GetHandle())})
	if err != nil {
		return nil, toStatus(err)
	}
	return &runtimev1.RecoverSessionResponse{Handle: handleToProto(resp.Handle), Status: statusToProto(resp.Status)}, nil
}

func (s *server) StopSession(ctx context.Context, req *runtimev1.StopSessionRequest) (*runtimev1.StopSessionResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	_, err := s.impl.StopSession(ctx, StopRequest{
		SessionID: req.GetSessionId(),
		Handle:    handleFromProto(req.GetHandle()),
		Timeout:   wire.Duration(req.GetTimeoutMs()),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &runtimev1.StopSessionResponse{}, nil
}

func (s *server) HibernateSession(ctx context.Context, req *runtimev1.HibernateSessionRequest) (*runtimev1.HibernateSessionResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	_, err := s.impl.HibernateSession(ctx, HibernateRequest{SessionID: req.GetSessionId(), Handle: handleFromProto(req.GetHandle())})
	if err != nil {
		return nil, toStatus(err)
	}
	return &runtimev1.HibernateSessionResponse{}, nil
}

func (s *server) ResumeSession(ctx context.Context, req *runtimev1.ResumeSessionRequest) (*runtimev1.ResumeSessionResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	return s.resume(ctx, req.GetSessionId(), req.GetHandle(), noProgress)
}

// resume serves ResumeSession and ResumeSessionStream.
func (s *server) resume(ctx context.Context, id string, h *runtimev1.Handle, progress func(Progress)) (*runtimev1.ResumeSessionResponse, error) {
	resp, err := s.impl.ResumeSession(ctx, ResumeRequest{SessionID: id, Handle: handleFromProto(h), Progress: progress})
	if err != nil {
		return nil, toStatus(err)
	}
	return &runtimev1.ResumeSessionResponse{Handle: handleToProto(resp.Handle), Status: statusToProto(resp.Status)}, nil
}

func (s *server) DestroySession(ctx context.Context, req *runtimev1.DestroySessionRequest) (*runtimev1.DestroySessionResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	_, err := s.impl.DestroySession(ctx, DestroyRequest{
		SessionID:  req.GetSessionId(),
		Handle:     handleFromProto(req.GetHandle()),
		RemoveHome: req.GetRemoveHome(),
		HomeVolume: req.GetHomeVolume(),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &runtimev1.DestroySessionResponse{}, nil
}

func (s *server) InspectSession(ctx context.Context, req *runtimev1.InspectSessionRequest) (*runtimev1.InspectSessionResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	resp, err := s.impl.InspectSession(ctx, InspectRequest{SessionID: req.GetSessionId(), Handle: handleFromProto(req.GetHandle())})
	if err != nil {
		return nil, toStatus(err)
	}
	return &runtimev1.InspectSessionResponse{Status: statusToProto(resp.Status)}, nil
}

func (s *server) ListSessions(ctx context.Context, req *runtimev1.ListSessionsRequest) (*runtimev1.ListSessionsResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	resp, err := s.impl.ListSessions(ctx, ListRequest{Labels: req.GetLabels()})
	if err != nil {
		return nil, toStatus(err)
	}
	out := &runtimev1.ListSessionsResponse{Sessions: make([]*runtimev1.ListedSession, 0, len(resp.Sessions))}
	for _, ls := range resp.Sessions {
		out.Sessions = append(out.Sessions, &runtimev1.ListedSession{
			SessionId: ls.SessionID,
			Handle:    handleToProto(ls.Handle),
			Status:    statusToProto(ls.Status),
			Labels:    ls.Labels,
		})
	}
	return out, nil
}

func (s *server) WatchEvents(_ *runtimev1.WatchEventsRequest, stream runtimev1.RuntimeService_WatchEventsServer) error {
	if err := s.state.Ready(); err != nil {
		return err
	}
	w, ok := s.impl.(EventWatcher)
	if !ok {
		return status.Error(codes.Unimplemented, "runtime plugin does not report events")
	}
	err := w.WatchEvents(stream.Context(), func(e Event) error {
		return stream.Send(&runtimev1.WatchEventsResponse{Event: &runtimev1.Event{
			SessionId:    e.SessionID,
			Status:       statusToProto(e.Status),
			TimeUnixNano: wire.UnixNano(e.Time),
		}})
	})
	return toStatus(err)
}

// isLiteralAddrPort reports whether s is an IP address and a non-zero
// port, the only endpoint form the core dials.
func isLiteralAddrPort(s string) bool {
	ap, err := netip.ParseAddrPort(s)
	return err == nil && ap.Port() != 0
}

// OpenTunnel prefers an endpoint the core dials itself and falls back to a
// socket the SDK serves when the runtime has no endpoint but can Dial.
func (s *server) OpenTunnel(ctx context.Context, req *runtimev1.OpenTunnelRequest) (*runtimev1.OpenTunnelResponse, error) {
	if err := s.state.Ready(); err != nil {
		return nil, err
	}
	r := tunnelRequestFromProto(req)
	if et, ok := s.impl.(EndpointTunneler); ok {
		resp, err := et.TunnelEndpoint(ctx, r)
		switch {
		case err == nil && resp.Address == "":
			return nil, status.Error(codes.Internal, "runtime plugin returned an empty tunnel endpoint; return ErrNoEndpoint to use its Dialer instead")
		case err == nil && !isLiteralAddrPort(resp.Address):
			return nil, status.Errorf(codes.Internal, "runtime plugin returned tunnel endpoint %q, which is not a literal IP:port; the core never resolves host names, so return the session's IP address", resp.Address)
		case err == nil:
			return &runtimev1.OpenTunnelResponse{Target: &runtimev1.OpenTunnelResponse_Endpoint{
				Endpoint: &runtimev1.Endpoint{Address: resp.Address},
			}}, nil
		case !errors.Is(err, ErrNoEndpoint):
			return nil, toStatus(err)
		}
	}
	d, ok := s.impl.(Dialer)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "runtime plugin offers no tunnel: it has no endpoint for this session and does not implement Dialer")
	}
	path, token, err := s.state.Tunnels.Open(s.state.TunnelDir(), func(ctx context.Context) (net.Conn, error) {
		return d.Dial(ctx, r)
	})
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, fmt.Sprintf("open socket tunnel: %v", err))
	}
	return &runtimev1.OpenTunnelResponse{Target: &runtimev1.OpenTunnelResponse_Socket{
		Socket: &runtimev1.Socket{Path: path, Token: token},
	}}, nil
}
