package process

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// meta is written once at start so that ListSessions can find sessions
// without the core's records.
type meta struct {
	SessionID string            `json:"session_id"`
	Labels    map[string]string `json:"labels"`
	Handle    runtime.Handle    `json:"handle"`
}

// sessionState is what changes during a session's life. Resumes counts
// SIGCONTs, so that each resume yields a new instance id without the
// plugin remembering anything.
type sessionState struct {
	Resumes int `json:"resumes"`
}

// writeJSON replaces path atomically, so a crash never leaves half a file.
func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}
