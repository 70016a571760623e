package plugintest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// RuntimeSuite describes the runtime plugin RuntimeConformance checks.
type RuntimeSuite struct {
	// New returns a fresh, unconfigured implementation each call. The suite
	// recovers the session with an instance that never saw it, as the core
	// does after a plugin crash.
	New func() runtime.Runtime
	// Config is the plugin's configuration as the core would decode it.
	Config json.RawMessage
	// Spec is the session to run. Set HomeVolume to check that destroying
	// with RemoveHome succeeds.
	Spec launch.Spec
	// Port is the session port the suite tunnels to.
	Port int
	// Probe checks that a tunnel reaches the session, e.g. by reading a
	// greeting. The connection has a deadline. Nil accepts any connection
	// that opens.
	Probe func(net.Conn) error
	// Timeout bounds each step, including the waits for a state. Zero means
	// 60 seconds.
	Timeout time.Duration
	// StartPhases are the progress phases StartSession must report, in
	// order; ResumePhases those of ResumeSession. Whatever they list, the
	// suite checks that the phases reported arrive in order.
	StartPhases  []runtime.Phase
	ResumePhases []runtime.Phase
}

// The pause between polls of a session's state.
const pollInterval = 50 * time.Millisecond

// watchSettle is how long the suite lets a plugin's event watch start
// before it acts on the session.
const watchSettle = 500 * time.Millisecond

// RuntimeConformance runs the life of one session through the plugin c
// describes, as subtests in order: configure, start, start-again (the same
// id once more must return the same session, not a second instance), list,
// recover (with a fresh instance over a new gRPC boundary), inspect,
// tunnel, hibernate, resume, stop (a runtime.EventWatcher must report an
// event for the session when its process stops), destroy, missing,
// destroy-again. Each step depends on the
// previous ones, so the suite stops at the first failing step; a session it
// started is destroyed when the test ends, whatever happened.
func RuntimeConformance(t *testing.T, c RuntimeSuite) {
	t.Helper()
	if c.New == nil {
		t.Fatal("RuntimeSuite.New is nil; set it to a function returning a fresh implementation")
	}
	if c.Port < 1 || c.Port > 65535 {
		t.Fatalf("RuntimeSuite.Port is %d; set it to the session port to tunnel to", c.Port)
	}
	if c.Timeout == 0 {
		c.Timeout = 60 * time.Second
	}
	r := &runtimeRun{suite: c, parent: t, tunnelDir: TunnelDir(t)}
	id := "conformance-" + randomHex(t, 6)
	r.session = runtime.Session{
		ID:       id,
		UserID:   "conformance-user",
		OrgID:    "conformance-org",
		Template: "conformance",
		Labels:   map[string]string{"atrium-conformance": id},
	}
	runSteps(t, c.Timeout, []step{
		{"configure", r.configure},
		{"start", r.start},
		{"start-again", r.startAgain},
		{"list", r.list},
		{"recover", r.recover},
		{"inspect", r.inspect},
		{"tunnel", r.tunnel},
		{"hibernate", r.hibernate},
		{"resume", r.resume},
		{"stop", r.stop},
		{"destroy", r.destroy},
		{"missing", r.missing},
		{"destroy-again", r.destroy},
	})
}

// runtimeRun is one run of the suite: the session and what the steps learnt.
type runtimeRun struct {
	suite     RuntimeSuite
	parent    *testing.T
	tunnelDir string
	session   runtime.Session

	rt         connect.Runtime
	events     bool
	handle     runtime.Handle
	instanceID string
	destroyed  bool
}

// connect serves a fresh instance for the rest of the test and configures
// it.
func (r *runtimeRun) connect(t *testing.T, ctx context.Context) connect.Runtime {
	t.Helper()
	base, rt := ServeRuntime(r.parent, r.suite.New())
	info, err := base.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Kind != plugin.KindRuntime {
		t.Fatalf("Info reports kind %q, want %q", info.Kind, plugin.KindRuntime)
	}
	if info.APIVersion != runtime.APIVersion {
		t.Fatalf("Info reports API version %d, want %d", info.APIVersion, runtime.APIVersion)
	}
	if err := base.Configure(ctx, plugin.ConfigureRequest{Config: r.suite.Config, Instance: "conformance", TunnelDir: r.tunnelDir}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return rt
}

func (r *runtimeRun) configure(t *testing.T, ctx context.Context) {
	base, rt := ServeRuntime(r.parent, r.suite.New())
	if _, err := base.ConfigSchema(ctx); err != nil {
		t.Fatalf("ConfigSchema: %v", err)
	}
	if _, err := rt.ListSessions(ctx, runtime.ListRequest{Labels: r.session.Labels}); err == nil {
		t.Fatal("ListSessions before Configure succeeded; the SDK must refuse kind calls until Configure succeeds")
	}
	info, err := base.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if !info.Has(connect.CapTunnelEndpoint) && !info.Has(connect.CapTunnelSocket) {
		t.Fatal("the plugin implements neither runtime.EndpointTunneler nor runtime.Dialer; the core refuses a runtime without a tunnel")
	}
	r.events = info.Has(connect.CapEvents)
	if err := base.Configure(ctx, plugin.ConfigureRequest{Config: r.suite.Config, Instance: "conformance", TunnelDir: r.tunnelDir}); err != nil {
		t.Fatalf("Configure with RuntimeSuite.Config: %v", err)
	}
	if err := base.Health(ctx); err != nil {
		t.Fatalf("Health after Configure: %v", err)
	}
	r.rt = rt
}

func (r *runtimeRun) start(t *testing.T, ctx context.Context) {
	var progress progressLog
	resp, err := r.rt.StartSession(ctx, runtime.StartRequest{Session: r.session, Spec: r.suite.Spec, Progress: progress.add})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	r.parent.Cleanup(r.cleanup)
	progress.check(t, "StartSession", r.suite.StartPhases)
	if len(resp.Handle.Data) == 0 {
		t.Fatal("StartSession returned an empty handle; the core stores it to recover the session")
	}
	r.handle = resp.Handle
	if s := resp.Status.State; s != runtime.StateRunning && s != runtime.StateStarting {
		t.Fatalf("StartSession reports state %s (%s), want running or starting", s, resp.Status.Message)
	}
	st := r.waitState(t, ctx, "running after start", func(s runtime.Status) bool { return s.State == runtime.StateRunning })
	if st.InstanceID == "" {
		t.Fatal("a running session reports an empty InstanceID")
	}
	r.instanceID = st.InstanceID
}

// startAgain starts the running session once more with the same id, as the
// core does when it cannot tell whether a first start got through: the
// runtime must answer with the session that runs, not start a second one.
func (r *runtimeRun) startAgain(t *testing.T, ctx context.Context) {
	resp, err := r.rt.StartSession(ctx, runtime.StartRequest{Session: r.session, Spec: r.suite.Spec})
	if err != nil {
		t.Fatalf("StartSession again with the same id: %v; a repeated start must be safe", err)
	}
	if len(resp.Handle.Data) == 0 {
		t.Fatal("the repeated StartSession returned an empty handle")
	}
	r.handle = resp.Handle
	st := r.waitState(t, ctx, "running after the repeated start", func(s runtime.Status) bool { return s.State == runtime.StateRunning })
	if st.InstanceID != r.instanceID {
		t.Fatalf("the repeated StartSession runs instance %q, want the running %q: a start with the same id must not start a second instance", st.InstanceID, r.instanceID)
	}
	list, err := r.rt.ListSessions(ctx, runtime.ListRequest{Labels: r.session.Labels})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	n := 0
	for _, s := range list.Sessions {
		if s.SessionID == r.session.ID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("ListSessions finds session %q %d times after a repeated start, want once", r.session.ID, n)
	}
}

func (r *runtimeRun) list(t *testing.T, ctx context.Context) {
	resp, err := r.rt.ListSessions(ctx, runtime.ListRequest{Labels: r.session.Labels})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	var found *runtime.ListedSession
	for i, s := range resp.Sessions {
		if s.SessionID == r.session.ID {
			found = &resp.Sessions[i]
		} else {
			t.Errorf("ListSessions by labels %v also returned session %q", r.session.Labels, s.SessionID)
		}
	}
	if found == nil {
		t.Fatalf("ListSessions by labels %v did not return session %q (got %d sessions)", r.session.Labels, r.session.ID, len(resp.Sessions))
	}
	if len(found.Handle.Data) == 0 {
		t.Error("ListSessions returned the session with an empty handle")
	}
	if found.Status.State != runtime.StateRunning {
		t.Errorf("ListSessions reports state %s, want running", found.Status.State)
	}
	for k, v := range r.session.Labels {
		if found.Labels[k] != v {
			t.Errorf("ListSessions reports label %s=%q, want %q", k, found.Labels[k], v)
		}
	}
	other, err := r.rt.ListSessions(ctx, runtime.ListRequest{Labels: map[string]string{"atrium-conformance": r.session.ID + "-other"}})
	if err != nil {
		t.Fatalf("ListSessions with labels nothing has: %v", err)
	}
	for _, s := range other.Sessions {
		if s.SessionID == r.session.ID {
			t.Error("ListSessions returned the session for a label value it does not have")
		}
	}
}

func (r *runtimeRun) recover(t *testing.T, ctx context.Context) {
	r.rt = r.connect(t, ctx)
	resp, err := r.rt.RecoverSession(ctx, runtime.RecoverRequest{SessionID: r.session.ID, Handle: r.handle})
	if err != nil {
		t.Fatalf("RecoverSession with a fresh instance: %v", err)
	}
	if resp.Handle.Version != 0 {
		r.handle = resp.Handle
	}
	if resp.Status.State != runtime.StateRunning {
		t.Fatalf("RecoverSession reports state %s (%s), want running", resp.Status.State, resp.Status.Message)
	}
	if resp.Status.InstanceID != r.instanceID {
		t.Fatalf("RecoverSession reports instance %q, want %q: recovering must not restart the session", resp.Status.InstanceID, r.instanceID)
	}
}

func (r *runtimeRun) inspect(t *testing.T, ctx context.Context) {
	resp, err := r.rt.InspectSession(ctx, runtime.InspectRequest{SessionID: r.session.ID, Handle: r.handle})
	if err != nil {
		t.Fatalf("InspectSession: %v", err)
	}
	if resp.Status.State != runtime.StateRunning || resp.Status.InstanceID != r.instanceID {
		t.Fatalf("InspectSession reports %s instance %q, want running instance %q", resp.Status.State, resp.Status.InstanceID, r.instanceID)
	}
}

func (r *runtimeRun) tunnel(t *testing.T, ctx context.Context) {
	tun := r.waitTunnel(t, ctx)
	if tun.Socket == nil {
		return
	}
	again, err := r.rt.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: r.session.ID, Handle: r.handle, Port: r.suite.Port})
	if err != nil {
		t.Fatalf("OpenTunnel for a second socket connection: %v", err)
	}
	if again.Socket == nil {
		t.Fatal("OpenTunnel answered with a socket once and an endpoint the next time")
	}
	conn, err := connect.DialSocket(ctx, again.Socket.Path, again.Socket.Token)
	if err != nil {
		t.Fatalf("DialSocket with a fresh token: %v", err)
	}
	_ = conn.Close()
	reused, err := connect.DialSocket(ctx, again.Socket.Path, again.Socket.Token)
	if err == nil {
		_ = reused.Close()
		t.Fatal("DialSocket accepted a token a second time; tokens must work once only")
	}
	if !errors.Is(err, connect.ErrTunnelRefused) {
		t.Fatalf("DialSocket with a used token failed with %v, want ErrTunnelRefused", err)
	}
}

func (r *runtimeRun) hibernate(t *testing.T, ctx context.Context) {
	if _, err := r.rt.HibernateSession(ctx, runtime.HibernateRequest{SessionID: r.session.ID, Handle: r.handle}); err != nil {
		t.Fatalf("HibernateSession: %v", err)
	}
	r.waitState(t, ctx, "stopped after hibernate", func(s runtime.Status) bool { return s.State == runtime.StateStopped })
}

func (r *runtimeRun) resume(t *testing.T, ctx context.Context) {
	var progress progressLog
	resp, err := r.rt.ResumeSession(ctx, runtime.ResumeRequest{SessionID: r.session.ID, Handle: r.handle, Progress: progress.add})
	if err != nil {
		t.Fatalf("ResumeSession: %v", err)
	}
	progress.check(t, "ResumeSession", r.suite.ResumePhases)
	if resp.Handle.Version != 0 {
		r.handle = resp.Handle
	}
	st := r.waitState(t, ctx, "running after resume", func(s runtime.Status) bool { return s.State == runtime.StateRunning })
	if st.InstanceID == "" || st.InstanceID == r.instanceID {
		t.Fatalf("resumed session reports instance %q, want a new non-empty instance (was %q)", st.InstanceID, r.instanceID)
	}
	r.instanceID = st.InstanceID
	r.waitTunnel(t, ctx)
}

func (r *runtimeRun) stop(t *testing.T, ctx context.Context) {
	var events <-chan runtime.Event
	if r.events {
		events = r.watch(t, ctx)
	}
	if _, err := r.rt.StopSession(ctx, runtime.StopRequest{SessionID: r.session.ID, Handle: r.handle, Timeout: 10 * time.Second}); err != nil {
		t.Fatalf("StopSession: %v", err)
	}
	r.waitState(t, ctx, "not running after stop", func(s runtime.Status) bool {
		return s.State != runtime.StateRunning && s.State != runtime.StateStarting
	})
	if events == nil {
		return
	}
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("WatchEvents ended before it reported the stopped session")
			}
			if e.SessionID == r.session.ID && e.Status.State != runtime.StateRunning && e.Status.State != runtime.StateStarting {
				return
			}
		case <-ctx.Done():
			t.Fatalf("the plugin reports events, but none said session %q stopped within %s", r.session.ID, r.suite.Timeout)
		}
	}
}

// watch follows the plugin's events until ctx ends. It returns once the
// stream is open, so that nothing that happens afterwards is missed.
func (r *runtimeRun) watch(t *testing.T, ctx context.Context) <-chan runtime.Event {
	t.Helper()
	out := make(chan runtime.Event, 64)
	opened := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(out)
		err := r.rt.WatchEvents(ctx, func(e runtime.Event) error {
			once.Do(func() { close(opened) })
			select {
			case out <- e:
			default: // the step reads what it needs; drop the rest
			}
			return nil
		})
		once.Do(func() { close(opened) })
		if err != nil && ctx.Err() == nil {
			t.Errorf("WatchEvents: %v", err)
		}
	}()
	// A gRPC stream sends nothing until the first event, so give the
	// plugin's watch a moment to be in place before the stop.
	select {
	case <-opened:
	case <-time.After(watchSettle):
	}
	return out
}

func (r *runtimeRun) destroy(t *testing.T, ctx context.Context) {
	_, err := r.rt.DestroySession(ctx, runtime.DestroyRequest{
		SessionID:  r.session.ID,
		Handle:     r.handle,
		RemoveHome: true,
		HomeVolume: r.suite.Spec.HomeVolume,
	})
	if err != nil {
		t.Fatalf("DestroySession: %v", err)
	}
	r.destroyed = true
}

func (r *runtimeRun) missing(t *testing.T, ctx context.Context) {
	resp, err := r.rt.InspectSession(ctx, runtime.InspectRequest{SessionID: r.session.ID, Handle: r.handle})
	if err != nil {
		t.Fatalf("InspectSession after destroy: %v; a destroyed session reports StateMissing, not an error", err)
	}
	if resp.Status.State != runtime.StateMissing {
		t.Fatalf("InspectSession after destroy reports %s, want missing", resp.Status.State)
	}
	rec, err := r.connect(t, ctx).RecoverSession(ctx, runtime.RecoverRequest{SessionID: r.session.ID, Handle: r.handle})
	if err != nil {
		t.Fatalf("RecoverSession after destroy: %v; a destroyed session reports StateMissing, not an error", err)
	}
	if rec.Status.State != runtime.StateMissing {
		t.Fatalf("RecoverSession after destroy reports %s, want missing", rec.Status.State)
	}
}

// cleanup destroys the session when the suite stopped before doing so. It
// uses a fresh instance, because the instances the steps used may already
// be shut down.
func (r *runtimeRun) cleanup() {
	if r.destroyed {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.suite.Timeout)
	defer cancel()
	_, err := r.connect(r.parent, ctx).DestroySession(ctx, runtime.DestroyRequest{SessionID: r.session.ID, Handle: r.handle, RemoveHome: true, HomeVolume: r.suite.Spec.HomeVolume})
	if err != nil {
		r.parent.Errorf("destroy session %s when the test ended: %v", r.session.ID, err)
	}
}

// waitState polls InspectSession until ok accepts the status.
func (r *runtimeRun) waitState(t *testing.T, ctx context.Context, want string, ok func(runtime.Status) bool) runtime.Status {
	t.Helper()
	var last runtime.Status
	var lastErr error
	for {
		resp, err := r.rt.InspectSession(ctx, runtime.InspectRequest{SessionID: r.session.ID, Handle: r.handle})
		if err == nil && ok(resp.Status) {
			return resp.Status
		}
		last, lastErr = resp.Status, err
		select {
		case <-ctx.Done():
			if lastErr != nil {
				t.Fatalf("session not %s within %s: InspectSession: %v", want, r.suite.Timeout, lastErr)
			}
			t.Fatalf("session not %s within %s: last state %s (%s)", want, r.suite.Timeout, last.State, last.Message)
		case <-time.After(pollInterval):
		}
	}
}

// waitTunnel opens a tunnel and probes the session through it until that
// works, as the core's readiness probe would, and returns the tunnel.
func (r *runtimeRun) waitTunnel(t *testing.T, ctx context.Context) connect.Tunnel {
	t.Helper()
	var lastErr error
	for {
		tun, err := r.rt.OpenTunnel(ctx, runtime.TunnelRequest{SessionID: r.session.ID, Handle: r.handle, Port: r.suite.Port})
		if err != nil {
			t.Fatalf("OpenTunnel: %v", err)
		}
		if (tun.Endpoint == "") == (tun.Socket == nil) {
			t.Fatalf("OpenTunnel returned %+v; want exactly one of an endpoint and a socket", tun)
		}
		if lastErr = r.probe(ctx, tun); lastErr == nil {
			return tun
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no working tunnel to port %d within %s: %v", r.suite.Port, r.suite.Timeout, lastErr)
		case <-time.After(pollInterval):
		}
	}
}

func (r *runtimeRun) probe(ctx context.Context, tun connect.Tunnel) error {
	var conn net.Conn
	var err error
	if tun.Socket != nil {
		conn, err = connect.DialSocket(ctx, tun.Socket.Path, tun.Socket.Token)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", tun.Endpoint)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	if r.suite.Probe == nil {
		return nil
	}
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if err := r.suite.Probe(conn); err != nil {
		return fmt.Errorf("probe through tunnel: %w", err)
	}
	return nil
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random session id: %v", err)
	}
	return hex.EncodeToString(b)
}
