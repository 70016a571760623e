package process

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// status reports a session's status from its handle and directory. A
// session whose directory is gone is missing; one whose process is gone
// has exited.
func (r *Runtime) status(id string, h runtime.Handle) (runtime.Status, error) {
	dir, err := r.sessionDir(id)
	if err != nil {
		return runtime.Status{}, err
	}
	if _, err := os.Stat(dir); isMissing(err) {
		return runtime.Status{State: runtime.StateMissing, Message: "session directory is gone"}, nil
	}
	d, err := r.decodeHandle(id, h)
	if err != nil {
		return runtime.Status{}, err
	}
	p, alive, err := live(d)
	if err != nil {
		return runtime.Status{}, fmt.Errorf("session %s: %w", id, err)
	}
	if !alive {
		return runtime.Status{State: runtime.StateExited, Message: "session process exited; see " + filepath.Join(dir, logFile), StartedAt: d.StartedAt}, nil
	}
	var st sessionState
	if err := readJSON(filepath.Join(dir, stateFile), &st); err != nil {
		return runtime.Status{}, fmt.Errorf("session %s: read state: %w", id, err)
	}
	s := runtime.Status{
		State:      runtime.StateRunning,
		InstanceID: fmt.Sprintf("%d-%d-%d", d.PID, d.StartTicks, st.Resumes),
		StartedAt:  d.StartedAt,
	}
	if p.State == 'T' {
		s.State = runtime.StateStopped
		s.Message = "hibernated"
	} else if d.Port != 0 {
		// Sessions share loopback, so each owns only its own port there.
		s.Addresses = []string{localAddr(d)}
	}
	return s, nil
}

// RecoverSession reports the session a handle names. The process runs on
// without the plugin, so there is nothing to reattach.
func (r *Runtime) RecoverSession(_ context.Context, req runtime.RecoverRequest) (runtime.RecoverResponse, error) {
	s, err := r.status(req.SessionID, req.Handle)
	if err != nil {
		return runtime.RecoverResponse{}, err
	}
	return runtime.RecoverResponse{Status: s}, nil
}

// InspectSession reports the session's status.
func (r *Runtime) InspectSession(_ context.Context, req runtime.InspectRequest) (runtime.InspectResponse, error) {
	s, err := r.status(req.SessionID, req.Handle)
	if err != nil {
		return runtime.InspectResponse{}, err
	}
	return runtime.InspectResponse{Status: s}, nil
}

// ListSessions lists the sessions under root whose labels match.
func (r *Runtime) ListSessions(_ context.Context, req runtime.ListRequest) (runtime.ListResponse, error) {
	root := filepath.Join(r.cfg.Root, sessionsDir)
	entries, err := os.ReadDir(root)
	if err != nil {
		return runtime.ListResponse{}, fmt.Errorf("list sessions in %s: %w", root, err)
	}
	var out runtime.ListResponse
	for _, e := range entries {
		var m meta
		if err := readJSON(filepath.Join(root, e.Name(), metaFile), &m); err != nil {
			// A session being started or destroyed has no complete meta file.
			continue
		}
		if !matches(m.Labels, req.Labels) {
			continue
		}
		s, err := r.status(m.SessionID, m.Handle)
		if err != nil {
			return runtime.ListResponse{}, err
		}
		out.Sessions = append(out.Sessions, runtime.ListedSession{SessionID: m.SessionID, Handle: m.Handle, Status: s, Labels: m.Labels})
	}
	return out, nil
}

// matches reports whether have holds every label in want.
func matches(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}
