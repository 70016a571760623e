package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// nginxPeer runs Debian's nginx as a plain reverse proxy in front of the
// same app, a peer the atrium path can be read against: what one more
// HTTP hop costs on this machine with a proxy that does nothing else.
type nginxPeer struct {
	addr string
	cmd  *exec.Cmd
	dir  string
}

// startNginx starts nginx with a config of its own, proxying to app over
// pooled keep-alive connections, as the atrium path does.
func startNginx(app string) (*nginxPeer, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		return nil, fmt.Errorf("the nginx peer needs Debian's nginx (apt-get install nginx-light), or leave it out with -peers=")
	}
	dir, err := os.MkdirTemp("", "atrium-bench-nginx-")
	if err != nil {
		return nil, fmt.Errorf("create a directory for nginx: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pick a port for nginx: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes auto;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  upstream app { server %[2]s; keepalive 64; }
  server {
    listen %[3]s;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`, dir, app, addr)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("write the nginx config: %w", err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-e", "stderr", "-p", dir, "-c", path)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	n := &nginxPeer{addr: addr, cmd: cmd, dir: dir}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return n, nil
		}
		if time.Now().After(deadline) {
			n.stop()
			return nil, fmt.Errorf("nginx did not listen on %s within 10 s: %s", addr, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop asks the master to stop its workers and itself; killed outright,
// it would leave the workers running, holding its stderr open.
func (n *nginxPeer) stop() {
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	_ = n.cmd.Wait()
	os.RemoveAll(n.dir)
}

// cpu is the CPU time (user + system) nginx's master and workers have used
// so far, from /proc: the workers are the master's children.
func (n *nginxPeer) cpu() time.Duration {
	master := n.cmd.Process.Pid
	var total time.Duration
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, cpu, ok := procStat(pid)
		if ok && (pid == master || ppid == master) {
			total += cpu
		}
	}
	return total
}

// procStat reads a process's parent and CPU time from /proc/PID/stat.
func procStat(pid int) (ppid int, cpu time.Duration, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after its closing one (state is field 3).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	// USER_HZ is 100 on Linux.
	return ppid, time.Duration(utime+stime) * 10 * time.Millisecond, true
}
