// Package harness holds what Atrium's end-to-end tests (test/e2e) and the
// start benchmark (bench/start) both need to drive a real core running
// desktop sessions: building the binaries, the Docker engine and the
// desktop image, the HCL that wires the Docker runtime and the VNC
// workspace, a REST client for the session API, and an RFB connection
// through the core's VNC relay.
//
// It returns errors rather than taking a *testing.T, so a program can use
// it too; nothing here logs a password, cookie or ticket.
package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// GoBuild builds package pkg (relative to the repository root, e.g.
// "./core/cmd/atrium") into out, sending the compiler's messages to
// stderr.
func GoBuild(root, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}

// Binary is a built executable and its SHA-256, which the core's config
// pins for plugins.
type Binary struct {
	Path   string
	SHA256 string
}

// Bins are the binaries a desktop session needs.
type Bins struct {
	Atrium        Binary
	RuntimeDocker Binary
	WorkspaceVNC  Binary
}

// DesktopPackages maps each binary name in a Bins directory to its
// package; the plugin names follow `make build`'s atrium-<plugin>.
var DesktopPackages = map[string]string{
	"atrium":                "./core/cmd/atrium",
	"atrium-runtime-docker": "./plugins/runtime-docker",
	"atrium-workspace-vnc":  "./plugins/workspace-vnc",
}

// BuildDesktop builds the core and the two plugins a desktop session
// needs into dir.
func BuildDesktop(root, dir string) (Bins, error) {
	for name, pkg := range DesktopPackages {
		if err := GoBuild(root, filepath.Join(dir, name), pkg); err != nil {
			return Bins{}, err
		}
	}
	return DesktopBins(dir)
}

// DesktopBins describes the binaries BuildDesktop put in dir, hashing
// each.
func DesktopBins(dir string) (Bins, error) {
	var b Bins
	for name, dst := range map[string]*Binary{
		"atrium":                &b.Atrium,
		"atrium-runtime-docker": &b.RuntimeDocker,
		"atrium-workspace-vnc":  &b.WorkspaceVNC,
	} {
		path := filepath.Join(dir, name)
		sum, err := SHA256File(path)
		if err != nil {
			return Bins{}, err
		}
		*dst = Binary{Path: path, SHA256: sum}
	}
	return b, nil
}

// SHA256File returns the hex SHA-256 of the file at path.
func SHA256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
