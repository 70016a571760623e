package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/pgembed"
	"github.com/atrium-hq/atrium/test/benchstats"
	"github.com/atrium-hq/atrium/test/harness"
)

// The programs the benchmark builds. The stand-in runtime is the relay
// benchmark's tunnelplugin: a real runtime plugin process whose
// StartSession refuses at once, so a created session goes pending →
// failed through the real reconciler without a container.
const (
	atriumPkg  = "./core/cmd/atrium"
	vncPkg     = "./plugins/workspace-vnc"
	standinPkg = "./bench/relay/tunnelplugin"
	barePkg    = "./bench/api/bare"
)

// bins are the built programs.
type bins struct{ atrium, vnc, standin, bare string }

func build(root, dir string) (bins, error) {
	b := bins{atrium: filepath.Join(dir, "atrium"), vnc: filepath.Join(dir, "atrium-workspace-vnc"),
		standin: filepath.Join(dir, "standin-runtime"), bare: filepath.Join(dir, "bare")}
	// The core with -tags apibench, which adds only its allocation
	// counters and pprof (core/cmd/atrium/benchstats.go).
	cmd := exec.Command("go", "build", "-tags", "apibench", "-o", b.atrium, atriumPkg)
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return b, fmt.Errorf("build the core: %w", err)
	}
	for out, pkg := range map[string]string{b.vnc: vncPkg, b.standin: standinPkg, b.bare: barePkg} {
		if err := harness.GoBuild(root, out, pkg); err != nil {
			return b, err
		}
	}
	return b, nil
}

// startPostgres starts a private PostgreSQL with pg_stat_statements, which
// the benchmark reads to check that both servers send the same statements.
func startPostgres(ctx context.Context, dir string) (*pgembed.Server, error) {
	log := hclog.New(&hclog.LoggerOptions{Name: "apibench-pg", Level: hclog.Warn, Output: os.Stderr})
	return pgembed.Start(ctx, pgembed.Options{Dir: dir, Logger: log, Settings: map[string]string{
		"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200",
		"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.max": "5000",
		"shared_buffers": "256MB",
	}})
}

// coreConfig writes one replica's HCL: its own listen address and state
// directory, the shared database and secrets key, the VNC workspace and
// the stand-in runtime.
func coreConfig(dir, addr, dbURL, keyFile string, b bins) (string, error) {
	vncSum, err := harness.SHA256File(b.vnc)
	if err != nil {
		return "", err
	}
	standinSum, err := harness.SHA256File(b.standin)
	if err != nil {
		return "", err
	}
	hcl := fmt.Sprintf(`server {
  listen           = %q
  public_url       = %q
  state_dir        = %q
  secrets_key_file = %q
}

database {
  url = %q
}

plugin "vnc" {
  path   = %q
  sha256 = %q
}

plugin "standin" {
  path   = %q
  sha256 = %q
}

# A stand-in runtime: StartSession refuses at once (see env.go).
runtime "standin" {
  plugin = "standin"
  config {
    address = "127.0.0.1:9"
  }
}

workspace "desktop" {
  plugin = "vnc"
  config {
    image = "atrium/desktop:1"
  }
}

template %q {
  workspace = "desktop"
  runtime   = "standin"
  cpu       = 1
  memory    = "1GiB"
}
`, addr, "http://"+addr, filepath.Join(dir, "state"), keyFile, dbURL, b.vnc, vncSum, b.standin, standinSum, benchTemplate)
	path := filepath.Join(dir, "atrium.hcl")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, []byte(hcl), 0o600)
}

// writeKey writes a fresh 32-byte session secrets key all replicas share.
func writeKey(dir string) (string, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	path := filepath.Join(dir, "secrets.key")
	return path, os.WriteFile(path, key, 0o600)
}

// proc is a server process under test: an atrium replica or bare.
type proc struct {
	name  string
	cmd   *exec.Cmd
	addr  string // the API
	stats string // benchstats address
	mu    sync.Mutex
	tail  []string
	done  chan struct{}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) keep(r io.Reader, onLine func(string)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if onLine != nil {
			onLine(line)
		}
		p.mu.Lock()
		p.tail = append(p.tail, line)
		if len(p.tail) > 40 {
			p.tail = p.tail[len(p.tail)-40:]
		}
		p.mu.Unlock()
	}
}

// output is the process's last lines, for errors.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// startCore runs `atrium server` and waits for /healthz.
func startCore(ctx context.Context, name, atrium, config, addr string) (*proc, error) {
	stats, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &proc{name: name, addr: addr, stats: stats, done: make(chan struct{})}
	p.cmd = exec.Command(atrium, "server", "-config", config)
	p.cmd.Env = append(os.Environ(), "ATRIUM_BENCH_STATS="+stats, "ATRIUM_LOG_LEVEL=warn")
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { p.keep(out, nil); _ = p.cmd.Wait(); close(p.done) }()
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited during startup:\n%s", name, p.output())
		case <-ctx.Done():
			p.stop()
			return nil, fmt.Errorf("%s did not answer /healthz: %w\n%s", name, ctx.Err(), p.output())
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := hc.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
	}
}

// startBare runs the bare server and waits for its LISTEN line.
func startBare(ctx context.Context, bin, dbURL, kind, kindName string) (*proc, error) {
	stats, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &proc{name: "bare", stats: stats, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "-database", dbURL, "-stats", stats, "-template", benchTemplate, "-runtime", "standin",
		"-cpu-millis", "1000", "-memory-bytes", fmt.Sprint(1<<30), "-kind", kind, "-kind-name", kindName)
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start bare: %w", err)
	}
	listening := make(chan string, 1)
	go func() {
		p.keep(out, func(line string) {
			if a, ok := strings.CutPrefix(line, "LISTEN "); ok {
				listening <- a
			}
		})
		_ = p.cmd.Wait()
		close(p.done)
	}()
	select {
	case p.addr = <-listening:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("bare exited during startup:\n%s", p.output())
	case <-ctx.Done():
		p.stop()
		return nil, fmt.Errorf("bare did not listen: %w", ctx.Err())
	}
}

// goStats reads a process's benchstats counters.
func goStats(p *proc) (benchstats.Stats, error) {
	var st benchstats.Stats
	resp, err := http.Get("http://" + p.stats + "/stats")
	if err != nil {
		return st, fmt.Errorf("%s: read allocation counters: %w", p.name, err)
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
