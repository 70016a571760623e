// Command testplugin is a test fixture for the plugin host: one binary that
// behaves as a well-formed runtime, a workspace, a runtime that hangs in
// Configure, one that exits soon after it is configured, or a plugin
// speaking an unknown protocol version, chosen by its first argument. It is a fixture, not a runtime: it runs no sessions.
package main

import (
	"context"
	"os"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/schema"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

func main() {
	mode := "runtime"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "runtime":
		runtime.Serve(&fixtureRuntime{})
	case "hang":
		runtime.Serve(&fixtureRuntime{hang: true})
	case "crash":
		// Serves, then dies shortly after being configured: a plugin in
		// a crash loop.
		runtime.Serve(&fixtureRuntime{crash: true})
	case "workspace":
		workspace.Serve(&fixtureWorkspace{})
	case "badproto":
		// Speaks a go-plugin protocol version no Atrium knows.
		goplugin.Serve(&goplugin.ServeConfig{
			HandshakeConfig: goplugin.HandshakeConfig{
				ProtocolVersion:  99,
				MagicCookieKey:   connect.Handshake.MagicCookieKey,
				MagicCookieValue: connect.Handshake.MagicCookieValue,
			},
			VersionedPlugins: map[int]goplugin.PluginSet{99: {}},
			GRPCServer:       goplugin.DefaultGRPCServer,
		})
	}
}

type config struct {
	Greeting string  `json:"greeting"`
	Port     float64 `json:"port"`
}

type fixtureRuntime struct {
	hang  bool
	crash bool
	cfg   config
}

func (r *fixtureRuntime) PluginInfo() plugin.Info {
	return plugin.Info{Name: "testplugin", Version: "0.0.1", Description: "plugin host test fixture"}
}

func (r *fixtureRuntime) ConfigSchema() schema.Object {
	return schema.Object{Attrs: map[string]schema.Attr{
		"greeting": {Type: "string", Required: true},
		"port":     {Type: "number", Default: 5900},
	}}
}

func (r *fixtureRuntime) Configure(ctx context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	if r.hang {
		select {} // never answer, even after the caller gives up
	}
	if r.crash {
		time.AfterFunc(300*time.Millisecond, func() { os.Exit(3) })
	}
	return plugin.ConfigureResponse{}, plugin.DecodeConfig(req.Config, &r.cfg)
}

func (r *fixtureRuntime) StartSession(context.Context, runtime.StartRequest) (runtime.StartResponse, error) {
	return runtime.StartResponse{}, runtime.ErrSessionNotFound
}

func (r *fixtureRuntime) RecoverSession(context.Context, runtime.RecoverRequest) (runtime.RecoverResponse, error) {
	return runtime.RecoverResponse{Status: runtime.Status{State: runtime.StateMissing}}, nil
}

func (r *fixtureRuntime) StopSession(context.Context, runtime.StopRequest) (runtime.StopResponse, error) {
	return runtime.StopResponse{}, nil
}

func (r *fixtureRuntime) HibernateSession(context.Context, runtime.HibernateRequest) (runtime.HibernateResponse, error) {
	return runtime.HibernateResponse{}, runtime.ErrSessionNotFound
}

func (r *fixtureRuntime) ResumeSession(context.Context, runtime.ResumeRequest) (runtime.ResumeResponse, error) {
	return runtime.ResumeResponse{}, runtime.ErrSessionNotFound
}

func (r *fixtureRuntime) DestroySession(context.Context, runtime.DestroyRequest) (runtime.DestroyResponse, error) {
	return runtime.DestroyResponse{}, nil
}

func (r *fixtureRuntime) InspectSession(context.Context, runtime.InspectRequest) (runtime.InspectResponse, error) {
	return runtime.InspectResponse{Status: runtime.Status{State: runtime.StateMissing, Message: r.cfg.Greeting}}, nil
}

func (r *fixtureRuntime) ListSessions(context.Context, runtime.ListRequest) (runtime.ListResponse, error) {
	return runtime.ListResponse{}, nil
}

type fixtureWorkspace struct{}

func (fixtureWorkspace) PluginInfo() plugin.Info {
	return plugin.Info{Name: "testplugin-workspace", Version: "0.0.1"}
}

func (fixtureWorkspace) ConfigSchema() schema.Object { return schema.Object{} }

func (fixtureWorkspace) Configure(context.Context, plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	return plugin.ConfigureResponse{}, nil
}

func (fixtureWorkspace) Describe(context.Context, workspace.DescribeRequest) (workspace.DescribeResponse, error) {
	return workspace.DescribeResponse{Protocol: workspace.ProtocolVNC, Ports: []launch.Port{{Name: "vnc", Port: 5900}}}, nil
}

func (fixtureWorkspace) LaunchSpec(context.Context, workspace.LaunchSpecRequest) (workspace.LaunchSpecResponse, error) {
	return workspace.LaunchSpecResponse{}, nil
}
