package connect_test

import (
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugintest"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

func TestRuntimeRequestsAndResponsesCrossTheWire(t *testing.T) {
	ctx := context.Background()
	impl := &fakeRuntime{}
	rt := configured(t, impl, "")
	req := runtime.StartRequest{
		Session: runtime.Session{ID: "s1", UserID: "u1", OrgID: "o1", Template: "desktop", Labels: map[string]string{"atrium/session": "s1"}},
		Spec: launch.Spec{
			Image: "img", Command: []string{"a", "b"}, Env: map[string]string{"K": "V"}, Secrets: map[string]string{"S": "x"},
			Resources: launch.Resources{CPU: 2, MemoryBytes: 1 << 30, Pids: 64}, Ports: []launch.Port{{Name: "vnc", Port: 5901}},
			HomePath: "/home/a", HomeVolume: "u1", User: "1000", WorkingDir: "/w",
		},
	}
	resp, err := rt.StartSession(ctx, req)
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	if !reflect.DeepEqual(impl.lastStart, req) {
		t.Errorf("plugin received\n %#v\nwant\n %#v", impl.lastStart, req)
	}
	want := runtime.StartResponse{
		Handle: runtime.Handle{Version: 2, Data: []byte("s1")},
		Status: runtime.Status{State: runtime.StateStarting, InstanceID: "i-1", Message: "pulling", StartedAt: time.Unix(1700000000, 5)},
	}
	if !reflect.DeepEqual(resp.Handle, want.Handle) || resp.Status.State != want.Status.State || resp.Status.InstanceID != want.Status.InstanceID ||
		resp.Status.Message != want.Status.Message || !resp.Status.StartedAt.Equal(want.Status.StartedAt) {
		t.Errorf("host received %+v, want %+v", resp, want)
	}

	rec, err := rt.RecoverSession(ctx, runtime.RecoverRequest{SessionID: "s1", Handle: resp.Handle})
	if err != nil {
		t.Fatalf("RecoverSession: %v", err)
	}
	if rec.Status.State != runtime.StateExited || rec.Status.ExitCode != 137 || rec.Status.ExitCause != runtime.ExitRuntimeRestarted || rec.Status.Message != "killed" {
		t.Errorf("RecoverSession status %+v, want exited 137 killed, cause runtime restarted", rec.Status)
	}
	if _, err := rt.StopSession(ctx, runtime.StopRequest{SessionID: "s1", Timeout: 1500 * time.Millisecond}); err != nil {
		t.Errorf("StopSession: %v", err)
	}
	list, err := rt.ListSessions(ctx, runtime.ListRequest{Labels: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(list.Sessions) != 1 || list.Sessions[0].SessionID != "s1" || list.Sessions[0].Labels["team"] != "a" ||
		list.Sessions[0].Status.State != runtime.StateStopped || string(list.Sessions[0].Handle.Data) != "s1" {
		t.Errorf("ListSessions returned %+v", list.Sessions)
	}
}

func TestRuntimeErrorsCrossTheWire(t *testing.T) {
	ctx := context.Background()
	rt := configured(t, &fakeRuntime{}, "")

	_, err := rt.RecoverSession(ctx, runtime.RecoverRequest{SessionID: "s1", Handle: runtime.Handle{Data: []byte("other")}})
	if !errors.Is(err, runtime.ErrSessionNotFound) || err.Error() != "session s1: runtime: session not found" {
		t.Errorf("RecoverSession of an unknown session: %v; want ErrSessionNotFound with the plugin's text", err)
	}
	if _, err := rt.HibernateSession(ctx, runtime.HibernateRequest{SessionID: "s1"}); !errors.Is(err, connect.ErrUnsupported) {
		t.Errorf("HibernateSession returning ErrUnsupported: %v; want ErrUnsupported on the host", err)
	}
	if _, err := rt.DestroySession(ctx, runtime.DestroyRequest{SessionID: "s1"}); err == nil || err.Error() != "disk full" ||
		errors.Is(err, runtime.ErrSessionNotFound) {
		t.Errorf("DestroySession: %v; want the plugin's plain error", err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := rt.ResumeSession(short, runtime.ResumeRequest{SessionID: "s1"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ResumeSession past the host's deadline: %v; want context.DeadlineExceeded", err)
	}
	if _, err := rt.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: "s1", Port: 70000}); err == nil {
		t.Error("OpenTunnel accepted port 70000")
	}
}

func TestWatchEvents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt := configured(t, fakeWatcher{&fakeRuntime{}}, "")
	var got []runtime.Event
	stop := errors.New("seen enough")
	err := rt.WatchEvents(ctx, func(e runtime.Event) error {
		got = append(got, e)
		if len(got) == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("WatchEvents returned %v, want the error send returned", err)
	}
	for i, e := range got {
		if e.SessionID != []string{"s0", "s1", "s2"}[i] || e.Status.State != runtime.StateExited || !e.Time.Equal(time.Unix(1700000000+int64(i), 0)) {
			t.Errorf("event %d is %+v", i, e)
		}
	}

	bare := configured(t, &fakeRuntime{}, "")
	if err := bare.WatchEvents(ctx, func(runtime.Event) error { return nil }); !errors.Is(err, connect.ErrUnsupported) {
		t.Fatalf("WatchEvents of a plugin without events: %v; want ErrUnsupported", err)
	}
}

func TestOpenTunnel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("hi"))
			_ = c.Close()
		}
	}()

	endpointOnly := configured(t, fakeEndpoint{&fakeRuntime{}}, plugintest.TunnelDir(t))
	tun, err := endpointOnly.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: "s1", Port: 5901})
	if err != nil || tun.Endpoint != "10.0.0.1:5901" || tun.Socket != nil {
		t.Fatalf("OpenTunnel on an EndpointTunneler: %+v, %v; want endpoint 10.0.0.1:5901", tun, err)
	}
	if _, err := endpointOnly.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: "nope", Port: 5901}); !errors.Is(err, connect.ErrUnsupported) {
		t.Fatalf("OpenTunnel with ErrNoEndpoint and no Dialer: %v; want ErrUnsupported", err)
	}
	// The core dials literal IPs only; the SDK refuses a host name at once.
	if _, err := endpointOnly.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: "named", Port: 5901}); err == nil || !strings.Contains(err.Error(), "not a literal IP:port") {
		t.Fatalf("OpenTunnel with a host name endpoint: %v; want an error saying it is not a literal IP:port", err)
	}

	both := configured(t, fakeDialer{fakeEndpoint: fakeEndpoint{&fakeRuntime{}}, dialAddr: ln.Addr().String()}, plugintest.TunnelDir(t))
	tun, err = both.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: "nope", Port: 5901})
	if err != nil || tun.Socket == nil || tun.Endpoint != "" {
		t.Fatalf("OpenTunnel falling back to Dialer: %+v, %v; want a socket", tun, err)
	}
	conn, err := connect.DialSocket(ctx, tun.Socket.Path, tun.Socket.Token)
	if err != nil {
		t.Fatalf("DialSocket: %v", err)
	}
	defer conn.Close()
	got, err := io.ReadAll(conn)
	if err != nil || string(got) != "hi" {
		t.Fatalf("read through socket tunnel: %q, %v; want %q", got, err, "hi")
	}

	noDir := configured(t, fakeDialer{fakeEndpoint: fakeEndpoint{&fakeRuntime{}}, dialAddr: ln.Addr().String()}, "")
	if _, err := noDir.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: "nope", Port: 5901}); err == nil || !strings.Contains(err.Error(), "TunnelDir") {
		t.Fatalf("socket tunnel without a tunnel directory: %v; want an error naming TunnelDir", err)
	}
}
