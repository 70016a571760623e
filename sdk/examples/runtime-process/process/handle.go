package process

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// handleVersion is the encoding of handleData this plugin writes. A newer
// plugin keeps reading older versions.
const handleVersion = 1

// handleData is what the core stores for a session: enough to find its
// process again and to tell it from an unrelated process that reused the pid.
type handleData struct {
	PID int `json:"pid"`
	// StartTicks is the process's start time from /proc/<pid>/stat, in
	// clock ticks since boot.
	StartTicks uint64 `json:"start_ticks"`
	// Port is the local port the process listens on.
	Port int `json:"port"`
	// SessionPort is the port the spec named, which tunnel requests use.
	SessionPort int       `json:"session_port"`
	SessionDir  string    `json:"session_dir"`
	HomeDir     string    `json:"home_dir"`
	StartedAt   time.Time `json:"started_at"`
}

func encodeHandle(d handleData) (runtime.Handle, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return runtime.Handle{}, fmt.Errorf("encode handle: %w", err)
	}
	return runtime.Handle{Version: handleVersion, Data: data}, nil
}

// decodeHandle reads a handle and checks that it belongs to session id
// under this plugin's root.
func (r *Runtime) decodeHandle(id string, h runtime.Handle) (handleData, error) {
	if h.Version != handleVersion {
		return handleData{}, fmt.Errorf("session %s: handle version %d is not one this plugin reads (%d); upgrade the plugin", id, h.Version, handleVersion)
	}
	var d handleData
	if err := json.Unmarshal(h.Data, &d); err != nil {
		return handleData{}, fmt.Errorf("session %s: decode handle: %w", id, err)
	}
	dir, err := r.sessionDir(id)
	if err != nil {
		return handleData{}, err
	}
	if d.SessionDir != dir {
		return handleData{}, fmt.Errorf("session %s: handle names directory %s but this plugin's root gives %s; was root changed?", id, d.SessionDir, dir)
	}
	if d.PID <= 1 {
		return handleData{}, fmt.Errorf("session %s: handle names pid %d, which is not a session process", id, d.PID)
	}
	return d, nil
}
