package process

import (
	"fmt"
	"path/filepath"
	"regexp"
)

// Under root, each session has a directory in sessionsDir and each home
// volume one in homesDir.
const (
	sessionsDir = "sessions"
	homesDir    = "homes"
)

// Files in a session's directory.
const (
	metaFile  = "session.json"
	stateFile = "state.json"
	logFile   = "output.log"
)

// safeName accepts names that are a single, harmless path element, so a
// session id or volume name can never point outside root.
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func checkName(what, name string) error {
	if !safeName.MatchString(name) {
		return fmt.Errorf("%s %q is not a safe directory name: use letters, digits, '.', '_' and '-', starting with a letter or digit", what, name)
	}
	return nil
}

// sessionDir is where a session's files live.
func (r *Runtime) sessionDir(id string) (string, error) {
	if err := checkName("session id", id); err != nil {
		return "", err
	}
	return filepath.Join(r.cfg.Root, sessionsDir, id), nil
}

// homeDir is where a home volume lives.
func (r *Runtime) homeDir(volume string) (string, error) {
	if err := checkName("home volume", volume); err != nil {
		return "", err
	}
	return filepath.Join(r.cfg.Root, homesDir, volume), nil
}
