// Command tunnelplugin is the runtime plugin the relay benchmark uses for
// socket-mode tunnels: a real plugin process, served by the SDK, whose
// Dialer reaches every session at one configured TCP address. The bytes of
// a socket tunnel therefore cross a unix socket into this process and leave
// it over TCP, as they do with runtime-k8s port-forwards.
//
// It implements only what the relay needs; the lifecycle calls answer
// ErrUnsupported-like errors because the benchmark never starts sessions.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/schema"
)

func main() {
	runtime.Serve(&dialer{})
}

// errBenchOnly answers lifecycle calls this benchmark plugin never serves.
var errBenchOnly = errors.New("tunnelplugin only dials; it runs no sessions")

// dialer reaches every session's port at cfg.Address.
type dialer struct {
	cfg struct {
		Address string `json:"address"`
	}
}

var _ runtime.Dialer = (*dialer)(nil)

func (d *dialer) PluginInfo() plugin.Info {
	return plugin.Info{Name: "bench-tunnel", Version: "0.0.1", Description: "Relay benchmark: dials one TCP address for every session."}
}

func (d *dialer) ConfigSchema() schema.Object {
	return schema.Object{Attrs: map[string]schema.Attr{
		"address": {Type: "string", Required: true, Description: "host:port every tunnel connects to."},
	}}
}

func (d *dialer) Configure(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	if err := plugin.DecodeConfig(req.Config, &d.cfg); err != nil {
		return plugin.ConfigureResponse{}, err
	}
	if d.cfg.Address == "" {
		return plugin.ConfigureResponse{}, errors.New("config: address is empty; set it to the benchmark upstream's host:port")
	}
	return plugin.ConfigureResponse{}, nil
}

// Dial connects a socket tunnel to the configured address.
func (d *dialer) Dial(ctx context.Context, req runtime.TunnelRequest) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "tcp", d.cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("session %s: dial %s: %w", req.SessionID, d.cfg.Address, err)
	}
	return c, nil
}

func (d *dialer) StartSession(context.Context, runtime.StartRequest) (runtime.StartResponse, error) {
	return runtime.StartResponse{}, errBenchOnly
}
func (d *dialer) RecoverSession(context.Context, runtime.RecoverRequest) (runtime.RecoverResponse, error) {
	return runtime.RecoverResponse{}, errBenchOnly
}
func (d *dialer) StopSession(context.Context, runtime.StopRequest) (runtime.StopResponse, error) {
	return runtime.StopResponse{}, errBenchOnly
}
func (d *dialer) HibernateSession(context.Context, runtime.HibernateRequest) (runtime.HibernateResponse, error) {
	return runtime.HibernateResponse{}, errBenchOnly
}
func (d *dialer) ResumeSession(context.Context, runtime.ResumeRequest) (runtime.ResumeResponse, error) {
	return runtime.ResumeResponse{}, errBenchOnly
}
func (d *dialer) DestroySession(context.Context, runtime.DestroyRequest) (runtime.DestroyResponse, error) {
	return runtime.DestroyResponse{}, errBenchOnly
}
func (d *dialer) InspectSession(context.Context, runtime.InspectRequest) (runtime.InspectResponse, error) {
	return runtime.InspectResponse{}, errBenchOnly
}
func (d *dialer) ListSessions(context.Context, runtime.ListRequest) (runtime.ListResponse, error) {
	return runtime.ListResponse{}, nil
}
