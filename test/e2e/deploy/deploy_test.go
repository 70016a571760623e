// Package deploy tests what deploy/ ships the way an operator uses it: the
// container image run with docker, the systemd unit checked by systemd,
// the Helm chart rendered by helm and checked by a real Kubernetes API
// server.
package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// repoRoot is the repository's top directory, found from this file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// required reports whether the environment variable name asks for a test
// to run rather than skip when its tool is missing.
func required(name string) bool { return os.Getenv(name) == "1" }

// skipOrFail skips the test, or fails it when env (ATRIUM_E2E_REQUIRE_…)
// is 1, with why.
func skipOrFail(t *testing.T, env, why string) {
	t.Helper()
	if required(env) {
		t.Fatalf("%s (%s=1)", why, env)
	}
	t.Skip(why)
}

// run runs a command in the repository root and returns its combined
// output, failing the test with that output when it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = repoRoot()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
