package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The helper programs this benchmark builds from the module.
const (
	relayServerPkg  = "github.com/atrium-hq/atrium/core/internal/relay/relaytest/relayserver"
	tunnelPluginPkg = "github.com/atrium-hq/atrium/bench/relay/tunnelplugin"
	// relayOrigin is the Origin relayserver accepts.
	relayOrigin = "http://bench.local"
)

// buildHelpers builds relayserver and tunnelplugin into dir with the go
// tool ($GO, else go on PATH).
func buildHelpers(dir string) (relayServer, tunnelPlugin string, err error) {
	goTool := os.Getenv("GO")
	if goTool == "" {
		goTool = "go"
	}
	relayServer = filepath.Join(dir, "relayserver")
	tunnelPlugin = filepath.Join(dir, "tunnelplugin")
	for bin, pkg := range map[string]string{relayServer: relayServerPkg, tunnelPlugin: tunnelPluginPkg} {
		cmd := exec.Command(goTool, "build", "-o", bin, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return "", "", fmt.Errorf("build %s: %w; run the benchmark from inside the atrium module with Go installed", pkg, err)
		}
	}
	return relayServer, tunnelPlugin, nil
}

// peer is a relaying process the benchmark started: its pid roots the
// process tree whose CPU and memory count.
type peer struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string // WebSocket URL base
	// stats is relayserver's /bench/stats URL; empty for websockify.
	stats  string
	ticket string // relayserver's ticket URL
	http   *http.Client
}

func (p *peer) pid() int { return p.cmd.Process.Pid }

func (p *peer) stop() {
	if p.stdin != nil {
		_ = p.stdin.Close()
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// startRelayServer runs relayserver in endpoint or socket mode.
func startRelayServer(bin, mode, plugin, upstream string, buffer int, logTo io.Writer, extra ...string) (*peer, error) {
	cmd := exec.Command(bin, append([]string{"-mode", mode, "-plugin", plugin, "-upstream", upstream, "-buffer", strconv.Itoa(buffer)}, extra...)...)
	cmd.Stderr = logTo
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start relayserver: %w", err)
	}
	p := &peer{cmd: cmd, stdin: stdin, http: &http.Client{Timeout: 30 * time.Second}}
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				p.stop()
				return nil, errors.New("relayserver exited before listening; see its log above")
			}
			if addr, ok := strings.CutPrefix(line, "LISTEN "); ok {
				p.url = "ws://" + addr + "/relay/bench"
				p.stats = "http://" + addr + "/bench/stats"
				p.ticket = "http://" + addr + "/bench/ticket"
				go func() {
					for range lines {
					}
				}()
				return p, nil
			}
		case <-deadline:
			p.stop()
			return nil, errors.New("relayserver did not listen within 30s")
		}
	}
}

// openTicketed opens one relay stream with a fresh ticket.
func (p *peer) openTicketed() (*wsStream, error) {
	resp, err := p.http.Post(p.ticket, "text/plain", nil)
	if err != nil {
		return nil, fmt.Errorf("get a ticket: %w", err)
	}
	tok, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get a ticket: HTTP %d %v", resp.StatusCode, err)
	}
	return dialWS(p.url+"?ticket="+string(tok), relayOrigin)
}

// goStats reads relayserver's runtime counters; gc first collects garbage
// and returns free memory to the OS.
func (p *peer) goStats(gc bool) (map[string]uint64, error) {
	u := p.stats
	if gc {
		u += "?gc=1"
	}
	resp, err := p.http.Get(u)
	if err != nil {
		return nil, fmt.Errorf("read relay stats: %w", err)
	}
	defer resp.Body.Close()
	var m map[string]uint64
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return nil, fmt.Errorf("decode relay stats: %w", err)
	}
	return m, nil
}

// websockifyMissing says exactly what to install.
const websockifyMissing = "websockify is not installed; install Debian's package with `apt-get install -y websockify` (it provides /usr/bin/websockify), then run again"

// startWebsockify runs Debian's websockify between a free loopback port
// and upstream.
func startWebsockify(upstream string, logTo io.Writer) (*peer, error) {
	bin, err := exec.LookPath("websockify")
	if err != nil {
		return nil, errors.New(websockifyMissing)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	listen := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, listen, upstream)
	cmd.Stdout, cmd.Stderr = logTo, logTo
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start websockify: %w", err)
	}
	p := &peer{cmd: cmd, url: "ws://" + listen + "/"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", listen, time.Second)
		if err == nil {
			_ = c.Close()
			return p, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("websockify did not listen on %s within 20s: %w", listen, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
