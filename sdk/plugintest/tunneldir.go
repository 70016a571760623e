package plugintest

import (
	"os"
	"testing"
)

// TunnelDir returns a fresh private directory to pass as
// plugin.ConfigureRequest.TunnelDir, removed when t ends. It lives directly
// under the system's temporary directory rather than t.TempDir, whose long
// names can push socket paths past the unix limit.
func TunnelDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "atrium-tun-")
	if err != nil {
		t.Fatalf("create tunnel directory: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
