package process

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// Timeouts of process control.
const (
	defaultStopTimeout = 10 * time.Second
	// signalTimeout bounds waiting for SIGSTOP, SIGCONT or SIGKILL to take.
	signalTimeout = 5 * time.Second
)

// StopSession ends the session's process, SIGTERM first and SIGKILL after
// the timeout, and removes the session's directory. The home volume stays.
func (r *Runtime) StopSession(ctx context.Context, req runtime.StopRequest) (runtime.StopResponse, error) {
	dir, err := r.sessionDir(req.SessionID)
	if err != nil {
		return runtime.StopResponse{}, err
	}
	d, err := r.decodeHandle(req.SessionID, req.Handle)
	if err != nil {
		return runtime.StopResponse{}, err
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = defaultStopTimeout
	}
	// A hibernated process must run again to act on SIGTERM.
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGCONT} {
		if err := signal(d, sig); err != nil {
			return runtime.StopResponse{}, fmt.Errorf("stop session %s: %w", req.SessionID, err)
		}
	}
	gone, err := waitFor(ctx, d, timeout, func(_ procState, alive bool) bool { return !alive })
	if err != nil {
		return runtime.StopResponse{}, fmt.Errorf("stop session %s: %w", req.SessionID, err)
	}
	if !gone {
		if err := r.kill(ctx, req.SessionID, req.Handle); err != nil {
			return runtime.StopResponse{}, err
		}
	}
	return runtime.StopResponse{}, r.removeDir(dir)
}

// HibernateSession freezes the session's processes with SIGSTOP. They keep
// their memory, so ResumeSession continues them where they were.
func (r *Runtime) HibernateSession(ctx context.Context, req runtime.HibernateRequest) (runtime.HibernateResponse, error) {
	d, err := r.running(req.SessionID, req.Handle)
	if err != nil {
		return runtime.HibernateResponse{}, err
	}
	if err := signal(d, syscall.SIGSTOP); err != nil {
		return runtime.HibernateResponse{}, fmt.Errorf("hibernate session %s: %w", req.SessionID, err)
	}
	ok, err := waitFor(ctx, d, signalTimeout, func(p procState, alive bool) bool { return !alive || p.State == 'T' })
	if err != nil || !ok {
		return runtime.HibernateResponse{}, fmt.Errorf("hibernate session %s: process did not stop within %s (%v)", req.SessionID, signalTimeout, err)
	}
	return runtime.HibernateResponse{}, nil
}

// ResumeSession continues a hibernated session with SIGCONT. It counts the
// resume in the session's state file, which changes the instance id.
func (r *Runtime) ResumeSession(ctx context.Context, req runtime.ResumeRequest) (runtime.ResumeResponse, error) {
	d, err := r.running(req.SessionID, req.Handle)
	if err != nil {
		return runtime.ResumeResponse{}, err
	}
	path := filepath.Join(d.SessionDir, stateFile)
	var st sessionState
	if err := readJSON(path, &st); err != nil {
		return runtime.ResumeResponse{}, fmt.Errorf("resume session %s: read state: %w", req.SessionID, err)
	}
	st.Resumes++
	if err := writeJSON(path, st); err != nil {
		return runtime.ResumeResponse{}, fmt.Errorf("resume session %s: %w", req.SessionID, err)
	}
	if err := signal(d, syscall.SIGCONT); err != nil {
		return runtime.ResumeResponse{}, fmt.Errorf("resume session %s: %w", req.SessionID, err)
	}
	ok, err := waitFor(ctx, d, signalTimeout, func(p procState, alive bool) bool { return !alive || p.State != 'T' })
	if err != nil || !ok {
		return runtime.ResumeResponse{}, fmt.Errorf("resume session %s: process did not continue within %s (%v)", req.SessionID, signalTimeout, err)
	}
	req.Progress(runtime.Progress{Phase: runtime.PhaseContainerStarted, Message: fmt.Sprintf("process %d continued", d.PID)})
	s, err := r.status(req.SessionID, req.Handle)
	if err != nil {
		return runtime.ResumeResponse{}, err
	}
	return runtime.ResumeResponse{Status: s}, nil
}

// DestroySession kills whatever still runs of the session, removes its
// directory and, with RemoveHome, its home volume. It succeeds when nothing
// is left to remove.
func (r *Runtime) DestroySession(ctx context.Context, req runtime.DestroyRequest) (runtime.DestroyResponse, error) {
	dir, err := r.sessionDir(req.SessionID)
	if err != nil {
		return runtime.DestroyResponse{}, err
	}
	h := req.Handle
	if len(h.Data) == 0 {
		// The core may not have stored a handle if StartSession failed late.
		var m meta
		if err := readJSON(filepath.Join(dir, metaFile), &m); err == nil {
			h = m.Handle
		}
	}
	if len(h.Data) > 0 {
		if err := r.kill(ctx, req.SessionID, h); err != nil {
			return runtime.DestroyResponse{}, err
		}
	}
	if err := r.removeDir(dir); err != nil {
		return runtime.DestroyResponse{}, err
	}
	if req.RemoveHome && req.HomeVolume != "" {
		home, err := r.homeDir(req.HomeVolume)
		if err != nil {
			return runtime.DestroyResponse{}, err
		}
		if err := r.removeDir(home); err != nil {
			return runtime.DestroyResponse{}, err
		}
	}
	return runtime.DestroyResponse{}, nil
}

// running decodes the handle of a session whose process must still exist.
func (r *Runtime) running(id string, h runtime.Handle) (handleData, error) {
	d, err := r.decodeHandle(id, h)
	if err != nil {
		return handleData{}, err
	}
	if _, err := os.Stat(d.SessionDir); isMissing(err) {
		return handleData{}, notFound(id)
	}
	_, alive, err := live(d)
	if err != nil {
		return handleData{}, fmt.Errorf("session %s: %w", id, err)
	}
	if !alive {
		return handleData{}, notFound(id)
	}
	return d, nil
}

// kill ends the session's process group with SIGKILL and waits until the
// process is gone.
func (r *Runtime) kill(ctx context.Context, id string, h runtime.Handle) error {
	d, err := r.decodeHandle(id, h)
	if err != nil {
		return err
	}
	if err := signal(d, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill session %s: %w", id, err)
	}
	gone, err := waitFor(ctx, d, signalTimeout, func(_ procState, alive bool) bool { return !alive })
	if err != nil {
		return fmt.Errorf("kill session %s: %w", id, err)
	}
	if !gone {
		return fmt.Errorf("kill session %s: pid %d still runs %s after SIGKILL; check for a stuck process", id, d.PID, signalTimeout)
	}
	return nil
}

// removeDir removes a directory tree; a missing one is fine.
func (r *Runtime) removeDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}
