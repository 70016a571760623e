package session

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// lockedBuffer is a log sink tests read while the manager writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTunnelBoundToSessionAddress runs the plugin host's test plugin in its
// "foreign" mode: a runtime whose sessions are listeners on loopback, and
// which, once told to, answers a session's tunnel with another session's
// address, inside the runtime's networks. The core must refuse to dial it
// (the relay and the app proxy both dial through DialPrimary) and log why,
// because the address is not the one the runtime reported for the session.
func TestTunnelBoundToSessionAddress(t *testing.T) {
	bin := filepath.Join(binDir, "testplugin")
	cmd := exec.Command("go", "build", "-o", bin, "../pluginhost/testdata/testplugin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build testplugin: %v\n%s", err, out)
	}
	trigger := filepath.Join(t.TempDir(), "misbehave")
	e := newEnvWith(t, []pluginhost.Spec{{Name: "runtime.evil", Kind: plugin.KindRuntime, Block: `runtime "evil"`, Plugin: "testplugin",
		Path: bin, SHA256: sha256File(t, bin), Args: []string{"foreign"},
		Env:    map[string]string{"ATRIUM_TESTPLUGIN_FOREIGN": trigger},
		Decode: func(schema.Object) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }}})
	e.templates = append(e.templates, &config.Template{Name: "evil", Workspace: "echo", Runtime: "evil", CPU: 1, Memory: 256 << 20, Config: hcl.EmptyBody()})
	e.runtimes = append(e.runtimes, &config.Runtime{Name: "evil", Networks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	var logs lockedBuffer
	m, _ := e.manager(func(o *Options) {
		o.Logger = hclog.New(&hclog.LoggerOptions{Name: "test", Output: &logs, JSONFormat: true})
	})
	ctx := context.Background()

	start := func(sc store.Scope, u store.User) store.Session {
		s, err := m.Create(ctx, sc, CreateRequest{OrgID: e.org.ID, UserID: u.ID, Template: "evil"})
		must(t, err)
		return e.waitState(s, store.StateRunning)
	}
	alice, bob := start(e.scAlice, e.alice), start(e.scBob, e.bob)
	if len(alice.Addresses) != 1 || len(bob.Addresses) != 1 || alice.Addresses[0] == bob.Addresses[0] {
		t.Fatalf("recorded addresses: alice %q, bob %q; want one each, different", alice.Addresses, bob.Addresses)
	}
	greeting := func(s store.Session) (string, error) {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, err := m.DialPrimary(cctx, s)
		if err != nil {
			return "", err
		}
		defer c.Conn.Close()
		line, err := bufio.NewReader(c.Conn).ReadString('\n')
		return strings.TrimSpace(line), err
	}
	if got, err := greeting(alice); err != nil || got != "session "+alice.ID.String() {
		t.Fatalf("an honest tunnel to alice's session reached %q (%v)", got, err)
	}

	// The plugin now hands back bob's address for alice's session.
	must(t, os.WriteFile(trigger, nil, 0o600))
	got, err := greeting(alice)
	if err == nil {
		t.Fatalf("the core dialed the address the plugin answered for alice's session and reached %q (bob is %s)", got, bob.ID)
	}
	if !errors.Is(err, relay.ErrEndpointNotOwned) {
		t.Fatalf("dial alice's session: %v; want ErrEndpointNotOwned", err)
	}
	out := logs.String()
	for _, want := range []string{"refused a tunnel endpoint that is not the session's", alice.ID.String(), bob.Addresses[0], alice.Addresses[0]} {
		if !strings.Contains(out, want) {
			t.Errorf("the log does not say %q:\n%s", want, out)
		}
	}

	// The record is the database's, not one core's memory: a session
	// whose row has lost its addresses (as if another replica had recorded
	// none) is refused too, even with an honest plugin.
	must(t, os.Remove(trigger))
	_, err = e.st.Pool().Exec(ctx, `UPDATE sessions SET addresses = '{}' WHERE id = $1`, alice.ID)
	must(t, err)
	cur, err := e.st.GetSession(ctx, store.SystemScope(), alice.ID)
	must(t, err)
	if _, err := greeting(cur); !errors.Is(err, relay.ErrEndpointNotOwned) {
		t.Fatalf("dial a session with no recorded address: %v; want ErrEndpointNotOwned", err)
	}

	// A session that stops owns no address any more.
	_, err = m.Stop(ctx, e.scBob, bob.ID)
	must(t, err)
	bob = e.waitState(bob, store.StateStopped)
	if len(bob.Addresses) != 0 {
		t.Fatalf("a stopped session still owns %q", bob.Addresses)
	}
}
