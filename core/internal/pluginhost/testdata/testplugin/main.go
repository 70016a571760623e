// Command testplugin is a test fixture for the plugin host: one binary that
// behaves as a well-formed runtime, a workspace, a runtime that hangs in
// Configure, one that exits soon after it is configured, a runtime that
// offers no tunnel, a plugin speaking an unknown
// protocol version, or one speaking other API versions, chosen by its first
// argument; or, as "foreign", a runtime whose sessions are listeners inside
// the plugin process and which, once the file $ATRIUM_TESTPLUGIN_FOREIGN
// exists, answers TunnelEndpoint with another session's address (see
// foreign.go). Otherwise it is a fixture, not a runtime: it runs no
// sessions. With
// ATRIUM_TESTPLUGIN_OUT set, it writes what Configure told it about the
// host to that file as JSON.
package main

import (
	"context"
	"encoding/json"
	"fmt"
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
		runtime.Serve(tunnelRuntime{&fixtureRuntime{}})
	case "hang":
		runtime.Serve(tunnelRuntime{&fixtureRuntime{hang: true}})
	case "crash":
		// Serves, then dies shortly after being configured: a plugin in
		// a crash loop.
		runtime.Serve(tunnelRuntime{&fixtureRuntime{crash: true}})
	case "foreign":
		runtime.Serve(newForeignRuntime(os.Getenv("ATRIUM_TESTPLUGIN_FOREIGN")))
	case "notunnel":
		runtime.Serve(&fixtureRuntime{})
	case "futureapi":
		serveRaw([]uint32{2, 3})
	case "multiapi":
		serveRaw([]uint32{1, 2})
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
	if err := recordHost(req.Host); err != nil {
		return plugin.ConfigureResponse{}, err
	}
	return plugin.ConfigureResponse{}, plugin.DecodeConfig(req.Config, &r.cfg)
}

// ValidateConfig refuses a port no TCP port can have, at "port".
func (r *fixtureRuntime) ValidateConfig(ctx context.Context, req plugin.ValidateConfigRequest) error {
	var c config
	if err := plugin.DecodeConfig(req.Config, &c); err != nil {
		return err
	}
	if c.Port < 1 || c.Port > 65535 {
		return &plugin.ConfigError{Path: []string{"port"}, Err: fmt.Errorf("%v is not a TCP port; use 1 to 65535", c.Port)}
	}
	return nil
}

// tunnelRuntime is the fixture with endpoint tunnels; fixtureRuntime alone
// implements neither tunnel mode, which the host must refuse.
type tunnelRuntime struct{ *fixtureRuntime }

// TunnelEndpoint gives an address in the documentation range; the host's
// tests never dial it.
func (tunnelRuntime) TunnelEndpoint(context.Context, runtime.TunnelRequest) (runtime.TunnelEndpointResponse, error) {
	return runtime.TunnelEndpointResponse{Address: "192.0.2.1:5900"}, nil
}

// recordHost writes h to $ATRIUM_TESTPLUGIN_OUT, when set.
func recordHost(h plugin.Host) error {
	out := os.Getenv("ATRIUM_TESTPLUGIN_OUT")
	if out == "" {
		return nil
	}
	raw, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return os.WriteFile(out, raw, 0o600)
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
