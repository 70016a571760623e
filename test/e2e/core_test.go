package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sha256File returns the hex SHA-256 of path.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// freeAddr returns a loopback address nobody listens on right now. It picks
// below Linux's ephemeral range (32768–60999): ports the kernel hands out
// for port-0 listeners and outgoing connections — the embedded PostgreSQL's,
// other test packages' — then cannot take it between this check and the
// core's own listen.
func freeAddr(t *testing.T) string {
	t.Helper()
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		return addr
	}
	t.Fatal("no free loopback port between 20000 and 32000")
	return ""
}

// writeConfig writes an atrium.hcl into a fresh directory, with a database
// block naming a fresh empty database. %[1]s in body is the test plugin's
// path, %[2]s its SHA-256, %[3]s a free listen address and %[4]s a state
// directory.
func writeConfig(t *testing.T, body string) (path, addr string) {
	t.Helper()
	path, addr, _ = writeConfigDB(t, body, emptyDatabase(t))
	return path, addr
}

// writeConfigDB is writeConfig with the database URL of the caller's
// choice; an empty dbURL leaves the database block out, so the core runs
// its embedded PostgreSQL in the state directory.
func writeConfigDB(t *testing.T, body, dbURL string) (path, addr, stateDir string) {
	t.Helper()
	// Not t.TempDir: when the tests run as root, the embedded PostgreSQL
	// runs as the postgres user and must traverse every parent directory.
	dir, err := os.MkdirTemp("", "atrium-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	addr = freeAddr(t)
	stateDir = filepath.Join(dir, "state")
	src := fmt.Sprintf(body, bins.testplugin, sha256File(t, bins.testplugin), addr, stateDir)
	if dbURL != "" {
		src += fmt.Sprintf("\ndatabase {\n  url = %q\n}\n", dbURL)
	}
	path = filepath.Join(dir, "atrium.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, addr, stateDir
}

// runAtrium runs atrium to completion and returns its exit code and output.
func runAtrium(t *testing.T, timeout time.Duration, args ...string) (int, string) {
	t.Helper()
	return runAtriumStdin(t, timeout, "", args...)
}

// runAtriumStdin is runAtrium with stdin.
func runAtriumStdin(t *testing.T, timeout time.Duration, stdin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bins.atrium, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("atrium %v did not finish within %s; output:\n%s", args, timeout, out.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

// core is a running `atrium server`.
type core struct {
	cmd    *exec.Cmd
	addr   string
	out    *syncBuffer
	exited <-chan struct{}
}

// stop ends the core with SIGTERM and waits for it to exit.
func (c *core) stop(t *testing.T) {
	t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("atrium did not exit within 60s of SIGTERM:\n%s", c.out.String())
	}
}

// startCore starts `atrium server -config path`, waits for /healthz, and
// logs in as a platform admin it creates with `atrium admin create-user`;
// getJSON then sends that login's cookie to this core.
func startCore(t *testing.T, path, addr string) *core {
	t.Helper()
	c := startCoreNoAdmin(t, path, addr)
	code, out := runAtriumStdin(t, 60*time.Second, adminPassword+"\n", "admin", "create-user", "-config", path, "-username", "admin", "-admin")
	if code != 0 {
		t.Fatalf("create the admin: exit %d:\n%s", code, out)
	}
	cookie, _ := login(t, addr, "admin", adminPassword)
	if cookie == "" {
		t.Fatal("the admin could not log in")
	}
	credentials.Store(addr, cookie)
	t.Cleanup(func() { credentials.Delete(addr) })
	return c
}

// adminPassword is the password of the admin startCore creates.
const adminPassword = "e2e admin password"

// credentials maps a core's address to the admin session cookie getJSON
// sends it.
var credentials sync.Map

// startCoreNoAdmin starts `atrium server -config path` and waits for
// /healthz.
func startCoreNoAdmin(t *testing.T, path, addr string) *core {
	t.Helper()
	c := &core{addr: addr, out: &syncBuffer{}}
	c.cmd = exec.Command(bins.atrium, "server", "-config", path, "-log-level", "debug")
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	c.exited = exited
	go func() { _ = c.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = c.cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("atrium output:\n%s", c.out.String())
		}
	})
	waitFor(t, 30*time.Second, "atrium to answer /healthz", func() bool {
		select {
		case <-exited:
			t.Fatalf("atrium exited early:\n%s", c.out.String())
		default:
		}
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return c
}

// getJSON fetches url into v and returns the status code. A core started
// with startCore gets its admin's session cookie.
func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ck, ok := credentials.Load(req.URL.Host); ok {
		req.AddCookie(&http.Cookie{Name: "atrium_session", Value: ck.(string)})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, body)
		}
	}
	return resp.StatusCode
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processesOf lists the pids whose executable is path.
func processesOf(path string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && exe == path && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// syncBuffer is a bytes.Buffer safe for a process's concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func mustContain(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// alive reports whether pid runs; a zombie waiting to be reaped does not.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}
