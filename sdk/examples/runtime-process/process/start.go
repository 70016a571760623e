package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// StartSession runs Spec.Command as a process in its own session, so it
// outlives the plugin, with PORT set to a free local port. A session that
// already runs is returned as it is; leftovers of a failed one are removed.
func (r *Runtime) StartSession(ctx context.Context, req runtime.StartRequest) (runtime.StartResponse, error) {
	id := req.Session.ID
	if err := checkSpec(req.Spec); err != nil {
		return runtime.StartResponse{}, fmt.Errorf("start session %s: %w", id, err)
	}
	dir, err := r.sessionDir(id)
	if err != nil {
		return runtime.StartResponse{}, err
	}
	if resp, ok, err := r.existing(ctx, id, dir); err != nil || ok {
		return resp, err
	}
	home := filepath.Join(dir, "home")
	if v := req.Spec.HomeVolume; v != "" {
		if home, err = r.homeDir(v); err != nil {
			return runtime.StartResponse{}, err
		}
	}
	for _, d := range []string{dir, home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return runtime.StartResponse{}, fmt.Errorf("start session %s: create %s: %w", id, d, err)
		}
	}
	req.Progress(runtime.Progress{Phase: runtime.PhaseScheduled, Message: "runs on the plugin's own machine"})
	port, err := freePort()
	if err != nil {
		return runtime.StartResponse{}, fmt.Errorf("start session %s: %w", id, err)
	}
	d, err := spawn(req.Spec, dir, home, port)
	if err != nil {
		return runtime.StartResponse{}, fmt.Errorf("start session %s: %w", id, err)
	}
	req.Progress(runtime.Progress{Phase: runtime.PhaseContainerStarted, Message: fmt.Sprintf("process %d started", d.PID)})
	if len(req.Spec.Ports) == 1 {
		d.SessionPort = req.Spec.Ports[0].Port
	}
	h, err := encodeHandle(d)
	if err != nil {
		return runtime.StartResponse{}, err
	}
	if err := writeJSON(filepath.Join(dir, stateFile), sessionState{}); err != nil {
		return runtime.StartResponse{}, fmt.Errorf("start session %s: %w", id, err)
	}
	if err := writeJSON(filepath.Join(dir, metaFile), meta{SessionID: id, Labels: req.Session.Labels, Handle: h}); err != nil {
		return runtime.StartResponse{}, fmt.Errorf("start session %s: %w", id, err)
	}
	s, err := r.status(id, h)
	if err != nil {
		return runtime.StartResponse{}, err
	}
	return runtime.StartResponse{Handle: h, Status: s}, nil
}

// existing returns the session if it already runs, and otherwise removes
// whatever a failed start left behind.
func (r *Runtime) existing(ctx context.Context, id, dir string) (runtime.StartResponse, bool, error) {
	var m meta
	err := readJSON(filepath.Join(dir, metaFile), &m)
	if isMissing(err) {
		return runtime.StartResponse{}, false, r.removeDir(dir)
	}
	if err != nil {
		return runtime.StartResponse{}, false, fmt.Errorf("start session %s: %w", id, err)
	}
	s, err := r.status(id, m.Handle)
	if err != nil {
		return runtime.StartResponse{}, false, err
	}
	if s.State == runtime.StateRunning || s.State == runtime.StateStopped {
		return runtime.StartResponse{Handle: m.Handle, Status: s}, true, nil
	}
	if err := r.kill(ctx, id, m.Handle); err != nil {
		return runtime.StartResponse{}, false, err
	}
	return runtime.StartResponse{}, false, r.removeDir(dir)
}

func checkSpec(s launch.Spec) error {
	switch {
	case len(s.Command) == 0:
		return errors.New("spec has no command; runtime-process runs Spec.Command and has no images")
	case s.User != "":
		return fmt.Errorf("spec asks for user %q; runtime-process runs sessions as its own user, so leave User empty", s.User)
	case len(s.Ports) > 1:
		return fmt.Errorf("spec has %d ports; runtime-process gives each session one port, PORT", len(s.Ports))
	}
	if s.Resources != (launch.Resources{}) {
		plugin.Logger().Warn("runtime-process does not enforce resource limits; ignoring them")
	}
	return nil
}

// freePort asks the kernel for a free local port. Another program could
// take it before the session listens; a real runtime would avoid the race.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// spawn starts the session's process in its own session and process group.
func spawn(s launch.Spec, dir, home string, port int) (handleData, error) {
	out, err := os.OpenFile(filepath.Join(dir, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return handleData{}, fmt.Errorf("open session log: %w", err)
	}
	defer out.Close()
	cmd := exec.Command(s.Command[0], s.Command[1:]...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "PORT=" + strconv.Itoa(port)}
	for k, v := range s.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range s.Secrets {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Dir = home
	if s.WorkingDir != "" {
		cmd.Dir = s.WorkingDir
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return handleData{}, fmt.Errorf("run %s: %w", s.Command[0], err)
	}
	// Read the start time before anything can reap the process.
	p, err := readProc(cmd.Process.Pid)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return handleData{}, fmt.Errorf("read start time of pid %d: %w", cmd.Process.Pid, err)
	}
	// While this plugin process lives it is the session's parent and must
	// reap it; afterwards init does.
	go func() { _ = cmd.Wait() }()
	return handleData{
		PID:        cmd.Process.Pid,
		StartTicks: p.StartTicks,
		Port:       port,
		SessionDir: dir,
		HomeDir:    home,
		StartedAt:  time.Now(),
	}, nil
}
