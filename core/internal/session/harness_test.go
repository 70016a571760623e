package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/schema"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "atrium-session-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := storetest.Main(m)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildErr  error
)

// plugins builds the real runtime-process example plugin and the echo
// workspace fixture, once per test binary.
func buildPlugins(t *testing.T) (runtimeBin, workspaceBin string) {
	t.Helper()
	runtimeBin, workspaceBin = filepath.Join(binDir, "runtime-process"), filepath.Join(binDir, "echoworkspace")
	buildOnce.Do(func() {
		for _, b := range []struct{ dir, out, pkg string }{
			{"../../../sdk/examples/runtime-process", runtimeBin, "."},
			{".", workspaceBin, "./testdata/echoworkspace"},
		} {
			cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
			cmd.Dir = b.dir
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s in %s: %v\n%s", b.pkg, b.dir, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return runtimeBin, workspaceBin
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// env is one test's world: a fresh database with an organisation and
// users, a plugin host running the real runtime-process plugin and the
// echo workspace, and the templates that use them.
type env struct {
	t         *testing.T
	st        *store.Store
	host      *pluginhost.Host
	root      string // runtime-process's root
	org       store.Org
	alice     store.User // member
	bob       store.User // member
	admin     store.User // org admin
	scAlice   store.Scope
	scBob     store.Scope
	scAdmin   store.Scope
	templates []*config.Template
	runtimes  []*config.Runtime
	sealer    *Sealer
	log       hclog.Logger
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with more plugins for the host to launch.
func newEnvWith(t *testing.T, extra []pluginhost.Spec) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, st: storetest.Open(t), root: t.TempDir()}
	e.log = hclog.New(&hclog.LoggerOptions{Name: "test", Level: hclog.LevelFromString(os.Getenv("ATRIUM_TEST_LOG")), Output: os.Stderr})
	var err error
	e.org, err = e.st.CreateOrg(ctx, "acme", "Acme")
	must(t, err)
	mk := func(name string, role store.Role) store.User {
		u, err := e.st.CreateUser(ctx, store.NewUser{Username: name, Email: name + "@example.test"})
		must(t, err)
		_, err = e.st.AddMember(ctx, store.SystemScope(), e.org.ID, u.ID, role)
		must(t, err)
		return u
	}
	e.alice, e.bob, e.admin = mk("alice", store.RoleMember), mk("bob", store.RoleMember), mk("admin", store.RoleOrgAdmin)
	for _, p := range []struct {
		u  store.User
		sc *store.Scope
	}{{e.alice, &e.scAlice}, {e.bob, &e.scBob}, {e.admin, &e.scAdmin}} {
		*p.sc, err = e.st.ScopeForUser(ctx, p.u.ID)
		must(t, err)
	}
	e.templates = []*config.Template{
		{Name: "echo", Workspace: "echo", Runtime: "proc", CPU: 1, Memory: 256 << 20, Config: hcl.EmptyBody()},
		{Name: "crash", Workspace: "echo", Runtime: "proc", CPU: 1, Memory: 256 << 20, Config: hclBody(t, `mode = "crash"`)},
	}
	e.runtimes = []*config.Runtime{{Name: "proc", Networks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}}
	e.sealer, err = NewSealer(make32(7))
	must(t, err)
	e.startHost(extra)
	return e
}

func hclBody(t *testing.T, src string) hcl.Body {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "template.hcl", hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return f.Body
}

func make32(b byte) []byte {
	k := make([]byte, KeySize)
	for i := range k {
		k[i] = b
	}
	return k
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// startHost launches both plugins through the real plugin host.
func (e *env) startHost(extra []pluginhost.Spec) {
	t := e.t
	rtBin, wsBin := buildPlugins(t)
	rtCfg, _ := json.Marshal(map[string]string{"root": e.root, "tunnel": "endpoint"})
	fixed := func(raw []byte) func(schema.Object) (json.RawMessage, error) {
		return func(schema.Object) (json.RawMessage, error) { return raw, nil }
	}
	e.host = pluginhost.New(pluginhost.Options{Logger: e.log, TunnelDir: t.TempDir(), CallTimeout: 20 * time.Second,
		HealthInterval: time.Second, MaxBackoff: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := e.host.Start(ctx, append([]pluginhost.Spec{
		{Name: "runtime.proc", Kind: plugin.KindRuntime, Block: `runtime "proc"`, Plugin: "runtime-process",
			Path: rtBin, SHA256: sha256File(t, rtBin), Decode: fixed(rtCfg)},
		{Name: "workspace.echo", Kind: plugin.KindWorkspace, Block: `workspace "echo"`, Plugin: "echoworkspace",
			Path: wsBin, SHA256: sha256File(t, wsBin), Decode: fixed([]byte(`{}`))},
	}, extra...))
	must(t, err)
	t.Cleanup(e.host.Shutdown)
	// Runs before Shutdown: session processes outlive the plugin, so end
	// them through it.
	t.Cleanup(e.destroyAll)
}

func (e *env) runtime() runtimeClient {
	rt, err := e.host.Get("runtime.proc").Runtime()
	must(e.t, err)
	return rt
}

type runtimeClient interface {
	ListSessions(context.Context, runtime.ListRequest) (runtime.ListResponse, error)
	InspectSession(context.Context, runtime.InspectRequest) (runtime.InspectResponse, error)
	DestroySession(context.Context, runtime.DestroyRequest) (runtime.DestroyResponse, error)
}

func (e *env) destroyAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for ctx.Err() == nil {
		rt, err := e.host.Get("runtime.proc").Runtime()
		if errors.Is(err, pluginhost.ErrCircuitOpen) {
			return // a test broke the plugin on purpose; it runs nothing
		}
		if err != nil {
			<-tick.C // the plugin is restarting
			continue
		}
		list, err := rt.ListSessions(ctx, runtime.ListRequest{})
		if err != nil {
			e.t.Errorf("cleanup: list sessions: %v", err)
			return
		}
		for _, s := range list.Sessions {
			if _, err := rt.DestroySession(ctx, runtime.DestroyRequest{SessionID: s.SessionID, Handle: s.Handle}); err != nil {
				e.t.Errorf("cleanup: destroy %s: %v", s.SessionID, err)
			}
		}
		return
	}
}

// manager starts a Manager (one core's reconciler) that runs until the
// returned stop is called or the test ends.
func (e *env) manager(opts func(*Options)) (*Manager, func()) {
	t := e.t
	o := Options{
		Store: e.st, Plugins: HostPlugins(e.host), Templates: e.templates, Runtimes: e.runtimes,
		Sealer: e.sealer, Logger: e.log, ResyncInterval: 500 * time.Millisecond, ReadyTimeout: 20 * time.Second,
		CallTimeout: 20 * time.Second,
	}
	if opts != nil {
		opts(&o)
	}
	m, err := New(context.Background(), o)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	select {
	case <-m.Watcher().Listening():
	case <-time.After(30 * time.Second):
		t.Fatal("the session watcher did not start listening within 30s")
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return m, stop
}

// waitState waits until the session is in want, failing fast when it
// fails instead.
func (e *env) waitState(s store.Session, want store.SessionState) store.Session {
	e.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		cur, err := e.st.GetSession(context.Background(), store.SystemScope(), s.ID)
		must(e.t, err)
		if cur.State == want {
			return cur
		}
		if cur.State == store.StateFailed && want != store.StateFailed {
			e.t.Fatalf("session %s failed while waiting for %s: %s", s.ID, want, cur.Error)
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("session %s is %s after 45s, want %s (error %q)", s.ID, cur.State, want, cur.Error)
		}
		<-tick.C
	}
}

// handlePID reads the pid from runtime-process's handle: test knowledge
// of that one plugin's handle format.
func handlePID(t *testing.T, s store.Session) int {
	t.Helper()
	var h struct {
		PID int `json:"pid"`
	}
	must(t, json.Unmarshal(s.HandleData, &h))
	if h.PID <= 1 {
		t.Fatalf("handle has no pid: %s", s.HandleData)
	}
	return h.PID
}

func (e *env) inspect(s store.Session) runtime.Status {
	e.t.Helper()
	res, err := e.runtime().InspectSession(context.Background(), runtime.InspectRequest{SessionID: s.ID.String(), Handle: handleOf(s)})
	if errors.Is(err, runtime.ErrSessionNotFound) {
		return runtime.Status{State: runtime.StateMissing}
	}
	must(e.t, err)
	return res.Status
}
