package connect_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/schema"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// fakePlugin is the part every fake shares: it records its configuration.
type fakePlugin struct {
	configured   plugin.ConfigureRequest
	configureErr error
	healthErr    error
}

func (f *fakePlugin) PluginInfo() plugin.Info {
	return plugin.Info{Name: "fake", Version: "1.2.3", Description: "a fake for tests"}
}

func (f *fakePlugin) ConfigSchema() schema.Object {
	return schema.Object{Attrs: map[string]schema.Attr{
		"mode": {Type: "string", Default: "fast"},
	}}
}

func (f *fakePlugin) Configure(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	if f.configureErr != nil {
		return plugin.ConfigureResponse{}, f.configureErr
	}
	f.configured = req
	return plugin.ConfigureResponse{}, nil
}

// healthyFake adds plugin.HealthChecker.
type healthyFake struct{ *fakeRuntime }

func (h healthyFake) Health(context.Context) error { return h.healthErr }

// fakeRuntime echoes what it is asked, so tests can see every field cross
// the wire both ways.
type fakeRuntime struct {
	fakePlugin
	lastStart runtime.StartRequest
}

var errDisk = errors.New("disk full")

func (f *fakeRuntime) StartSession(_ context.Context, req runtime.StartRequest) (runtime.StartResponse, error) {
	if req.Progress == nil {
		return runtime.StartResponse{}, errors.New("StartRequest.Progress arrived nil; the SDK must hand authors a no-op")
	}
	req.Progress(runtime.Progress{Phase: runtime.PhaseImageReady})
	// Progress is a func the SDK made; compare only what crossed the wire.
	req.Progress = nil
	f.lastStart = req
	return runtime.StartResponse{
		Handle: runtime.Handle{Version: 2, Data: []byte(req.Session.ID)},
		Status: runtime.Status{State: runtime.StateStarting, InstanceID: "i-1", Message: "pulling", ExitCode: 0, StartedAt: time.Unix(1700000000, 5)},
	}, nil
}

func (f *fakeRuntime) RecoverSession(_ context.Context, req runtime.RecoverRequest) (runtime.RecoverResponse, error) {
	if string(req.Handle.Data) != req.SessionID {
		return runtime.RecoverResponse{}, fmt.Errorf("session %s: %w", req.SessionID, runtime.ErrSessionNotFound)
	}
	return runtime.RecoverResponse{Status: runtime.Status{State: runtime.StateExited, ExitCode: 137, ExitCause: runtime.ExitRuntimeRestarted, Message: "killed"}}, nil
}

func (f *fakeRuntime) StopSession(_ context.Context, req runtime.StopRequest) (runtime.StopResponse, error) {
	if req.Timeout != 1500*time.Millisecond {
		return runtime.StopResponse{}, fmt.Errorf("timeout %v arrived, want 1.5s", req.Timeout)
	}
	return runtime.StopResponse{}, nil
}

func (f *fakeRuntime) HibernateSession(context.Context, runtime.HibernateRequest) (runtime.HibernateResponse, error) {
	return runtime.HibernateResponse{}, fmt.Errorf("hibernate: %w", connect.ErrUnsupported)
}

func (f *fakeRuntime) ResumeSession(ctx context.Context, _ runtime.ResumeRequest) (runtime.ResumeResponse, error) {
	<-ctx.Done()
	return runtime.ResumeResponse{}, ctx.Err()
}

func (f *fakeRuntime) DestroySession(context.Context, runtime.DestroyRequest) (runtime.DestroyResponse, error) {
	return runtime.DestroyResponse{}, errDisk
}

func (f *fakeRuntime) InspectSession(context.Context, runtime.InspectRequest) (runtime.InspectResponse, error) {
	return runtime.InspectResponse{Status: runtime.Status{State: runtime.StateRunning}}, nil
}

func (f *fakeRuntime) ListSessions(_ context.Context, req runtime.ListRequest) (runtime.ListResponse, error) {
	return runtime.ListResponse{Sessions: []runtime.ListedSession{{
		SessionID: "s1",
		Handle:    runtime.Handle{Version: 1, Data: []byte("s1")},
		Status:    runtime.Status{State: runtime.StateStopped},
		Labels:    req.Labels,
	}}}, nil
}

// fakeWatcher adds events to fakeRuntime.
type fakeWatcher struct{ *fakeRuntime }

func (fakeWatcher) WatchEvents(ctx context.Context, send func(runtime.Event) error) error {
	for i := range 3 {
		e := runtime.Event{SessionID: fmt.Sprintf("s%d", i), Status: runtime.Status{State: runtime.StateExited}, Time: time.Unix(1700000000+int64(i), 0)}
		if err := send(e); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return ctx.Err()
}

// fakeEndpoint adds an endpoint tunnel; ErrNoEndpoint for session "nope",
// a host name for session "named".
type fakeEndpoint struct{ *fakeRuntime }

func (fakeEndpoint) TunnelEndpoint(_ context.Context, req runtime.TunnelRequest) (runtime.TunnelEndpointResponse, error) {
	switch req.SessionID {
	case "nope":
		return runtime.TunnelEndpointResponse{}, runtime.ErrNoEndpoint
	case "named":
		return runtime.TunnelEndpointResponse{Address: fmt.Sprintf("session-1.internal:%d", req.Port)}, nil
	}
	return runtime.TunnelEndpointResponse{Address: fmt.Sprintf("10.0.0.1:%d", req.Port)}, nil
}

// fakeDialer adds socket tunnels to fakeEndpoint, dialing dialAddr.
type fakeDialer struct {
	fakeEndpoint
	dialAddr string
}

func (f fakeDialer) Dial(ctx context.Context, _ runtime.TunnelRequest) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", f.dialAddr)
}

// fakeWorkspace returns a spec built from the request.
type fakeWorkspace struct{ fakePlugin }

func (fakeWorkspace) Describe(context.Context, workspace.DescribeRequest) (workspace.DescribeResponse, error) {
	return workspace.DescribeResponse{
		Protocol:    workspace.ProtocolVNC,
		Ports:       []launch.Port{{Name: "vnc", Port: 5901}},
		PrimaryPort: "vnc",
		Readiness:   workspace.Probe{Kind: workspace.ProbeRFB, Port: "vnc", Path: "/", Interval: time.Second, Timeout: 3 * time.Second},
		Secrets:     []string{"vnc_password"},
		DisplayName: "Desktop",
		Description: "A desktop",
	}, nil
}

func (fakeWorkspace) LaunchSpec(_ context.Context, req workspace.LaunchSpecRequest) (workspace.LaunchSpecResponse, error) {
	return workspace.LaunchSpecResponse{Spec: launch.Spec{
		Image:      req.Image,
		Command:    []string{"run", string(req.TemplateConfig)},
		Env:        map[string]string{"SESSION": req.Session.ID, "USER_ID": req.Session.UserID, "LABEL": req.Session.Labels["team"]},
		Secrets:    req.Secrets,
		Resources:  req.Resources,
		Ports:      []launch.Port{{Name: "vnc", Port: 5901}},
		HomeVolume: req.HomeVolume,
	}}, nil
}

// fakeAuth proves whoever the callback names.
type fakeAuth struct{ fakePlugin }

func (fakeAuth) BeginLogin(_ context.Context, req auth.BeginLoginRequest) (auth.BeginLoginResponse, error) {
	return auth.BeginLoginResponse{AuthURL: "https://idp.example/auth?redirect=" + url.QueryEscape(req.RedirectURL), State: []byte("state-1")}, nil
}

func (fakeAuth) CompleteLogin(_ context.Context, req auth.CompleteLoginRequest) (auth.CompleteLoginResponse, error) {
	if string(req.State) != "state-1" {
		return auth.CompleteLoginResponse{}, errors.New("state mismatch")
	}
	return auth.CompleteLoginResponse{
		Identity: auth.Identity{
			Issuer: "https://idp.example", Subject: req.Params.Get("sub"), Email: "a@example.com",
			EmailVerified: true, Name: "A", Username: "a", Groups: req.Params["group"],
		},
		SessionData: []byte("sd"),
		ExpiresAt:   time.Unix(1700003600, 0),
	}, nil
}

// fakeLogoutAuth adds logout to fakeAuth.
type fakeLogoutAuth struct{ fakeAuth }

func (fakeLogoutAuth) Logout(_ context.Context, req auth.LogoutRequest) (auth.LogoutResponse, error) {
	return auth.LogoutResponse{LogoutURL: "https://idp.example/logout?sd=" + string(req.SessionData) + "&to=" + req.PostLogoutRedirectURL}, nil
}

// fakeRefreshAuth adds refresh to fakeAuth: session data "gone" stands for
// a person the provider removed.
type fakeRefreshAuth struct{ fakeAuth }

func (fakeRefreshAuth) Refresh(_ context.Context, req auth.RefreshRequest) (auth.RefreshResponse, error) {
	if string(req.SessionData) == "gone" {
		return auth.RefreshResponse{}, fmt.Errorf("%w: the provider refused the refresh token", auth.ErrRefreshRefused)
	}
	return auth.RefreshResponse{
		Identity:    auth.Identity{Issuer: "https://idp.example", Subject: "1234", Groups: []string{"ops"}},
		SessionData: append([]byte("next-"), req.SessionData...),
		ExpiresAt:   time.Unix(1700007200, 0),
	}, nil
}
