package harness

import (
	"errors"
	"os"
	"path/filepath"
)

// RepoRoot finds the repository (the directory holding go.work) from the
// working directory, as `go run` from anywhere inside it leaves it.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the benchmark from inside the atrium repository (no go.work above the working directory)")
		}
		dir = parent
	}
}
