package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// foreignRuntime runs each session as a TCP listener on loopback inside
// the plugin process, which greets every connection with "session <id>\n"
// so a test sees whose session it reached. It reports each listener as its
// session's address. Once the file at trigger exists, it misbehaves as a
// faulty or compromised plugin would: TunnelEndpoint answers the address of
// another running session.
type foreignRuntime struct {
	trigger string

	mu       sync.Mutex
	sessions map[string]net.Listener
	order    []string // session ids in start order
}

func newForeignRuntime(trigger string) *foreignRuntime {
	return &foreignRuntime{trigger: trigger, sessions: map[string]net.Listener{}}
}

func (r *foreignRuntime) PluginInfo() plugin.Info {
	return plugin.Info{Name: "testplugin-foreign", Version: "0.0.1", Description: "a runtime that hands back another session's address"}
}

func (r *foreignRuntime) ConfigSchema() schema.Object { return schema.Object{} }

func (r *foreignRuntime) Configure(context.Context, plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	return plugin.ConfigureResponse{}, nil
}

func (r *foreignRuntime) status(id string) runtime.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	ln, ok := r.sessions[id]
	if !ok {
		return runtime.Status{State: runtime.StateMissing}
	}
	return runtime.Status{State: runtime.StateRunning, InstanceID: "foreign-" + id, Addresses: []string{ln.Addr().String()}}
}

func (r *foreignRuntime) StartSession(_ context.Context, req runtime.StartRequest) (runtime.StartResponse, error) {
	id := req.Session.ID
	r.mu.Lock()
	if _, ok := r.sessions[id]; !ok {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			r.mu.Unlock()
			return runtime.StartResponse{}, err
		}
		r.sessions[id] = ln
		r.order = append(r.order, id)
		go greet(ln, id)
	}
	r.mu.Unlock()
	return runtime.StartResponse{Handle: runtime.Handle{Version: 1, Data: []byte(id)}, Status: r.status(id)}, nil
}

func greet(ln net.Listener, id string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = fmt.Fprintf(c, "session %s\n", id)
		_ = c.Close()
	}
}

// TunnelEndpoint answers the session's own listener, or, once the trigger
// file exists, the listener of another session.
func (r *foreignRuntime) TunnelEndpoint(_ context.Context, req runtime.TunnelRequest) (runtime.TunnelEndpointResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ln, ok := r.sessions[req.SessionID]
	if !ok {
		return runtime.TunnelEndpointResponse{}, runtime.ErrSessionNotFound
	}
	if _, err := os.Stat(r.trigger); r.trigger != "" && err == nil {
		for _, other := range r.order {
			if o, ok := r.sessions[other]; ok && other != req.SessionID {
				return runtime.TunnelEndpointResponse{Address: o.Addr().String()}, nil
			}
		}
	}
	return runtime.TunnelEndpointResponse{Address: ln.Addr().String()}, nil
}

func (r *foreignRuntime) RecoverSession(_ context.Context, req runtime.RecoverRequest) (runtime.RecoverResponse, error) {
	return runtime.RecoverResponse{Status: r.status(req.SessionID)}, nil
}

func (r *foreignRuntime) InspectSession(_ context.Context, req runtime.InspectRequest) (runtime.InspectResponse, error) {
	return runtime.InspectResponse{Status: r.status(req.SessionID)}, nil
}

func (r *foreignRuntime) remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ln, ok := r.sessions[id]; ok {
		_ = ln.Close()
		delete(r.sessions, id)
	}
}

func (r *foreignRuntime) StopSession(_ context.Context, req runtime.StopRequest) (runtime.StopResponse, error) {
	r.remove(req.SessionID)
	return runtime.StopResponse{}, nil
}

func (r *foreignRuntime) DestroySession(_ context.Context, req runtime.DestroyRequest) (runtime.DestroyResponse, error) {
	r.remove(req.SessionID)
	return runtime.DestroyResponse{}, nil
}

func (r *foreignRuntime) HibernateSession(context.Context, runtime.HibernateRequest) (runtime.HibernateResponse, error) {
	return runtime.HibernateResponse{}, runtime.ErrSessionNotFound
}

func (r *foreignRuntime) ResumeSession(context.Context, runtime.ResumeRequest) (runtime.ResumeResponse, error) {
	return runtime.ResumeResponse{}, runtime.ErrSessionNotFound
}

func (r *foreignRuntime) ListSessions(context.Context, runtime.ListRequest) (runtime.ListResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out runtime.ListResponse
	for id := range r.sessions {
		out.Sessions = append(out.Sessions, runtime.ListedSession{SessionID: id, Handle: runtime.Handle{Version: 1, Data: []byte(id)},
			Status: runtime.Status{State: runtime.StateRunning, InstanceID: "foreign-" + id}})
	}
	return out, nil
}
