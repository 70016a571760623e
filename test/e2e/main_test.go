// Package e2e runs Atrium's built binaries the way a user does: a real
// `atrium` process, real plugin processes, real signals.
package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/atrium-hq/atrium/test/harness"
)

// bins holds the binaries TestMain builds once for every test.
var bins struct {
	dir        string
	atrium     string
	testplugin string
	pgserver   string
	// The desktop session plugins, named as `make build` names them so
	// that harness.DesktopBins finds them beside atrium.
	runtimeDocker string
	workspaceVNC  string
	// authOIDC is the OpenID Connect auth plugin.
	authOIDC string
	// runtimeK8s runs sessions as pods on the Kubernetes test cluster.
	runtimeK8s string
	// The web app workspaces: VS Code (code-server) and Jupyter.
	workspaceCode, workspaceJupyter string
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "atrium-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins.dir = dir
	bins.atrium = filepath.Join(dir, "atrium")
	bins.testplugin = filepath.Join(dir, "testplugin")
	bins.pgserver = filepath.Join(dir, "pgserver")
	bins.runtimeDocker = filepath.Join(dir, "atrium-runtime-docker")
	bins.workspaceVNC = filepath.Join(dir, "atrium-workspace-vnc")
	bins.authOIDC = filepath.Join(dir, "atrium-auth-oidc")
	bins.runtimeK8s = filepath.Join(dir, "atrium-runtime-k8s")
	bins.workspaceCode = filepath.Join(dir, "atrium-workspace-code")
	bins.workspaceJupyter = filepath.Join(dir, "atrium-workspace-jupyter")
	for out, pkg := range map[string]string{
		bins.atrium:           "./core/cmd/atrium",
		bins.testplugin:       "./core/internal/pluginhost/testdata/testplugin",
		bins.pgserver:         "./core/internal/store/storetest/pgserver",
		bins.runtimeDocker:    "./plugins/runtime-docker",
		bins.workspaceVNC:     "./plugins/workspace-vnc",
		bins.authOIDC:         "./plugins/auth-oidc",
		bins.runtimeK8s:       "./plugins/runtime-k8s",
		bins.workspaceCode:    "./plugins/workspace-code",
		bins.workspaceJupyter: "./plugins/workspace-jupyter",
	} {
		if err := harness.GoBuild(repoRoot(), out, pkg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	stop, err := startPostgres()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// repoRoot is the repository's top directory, found from this file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
