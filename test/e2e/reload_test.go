package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/test/harness"
)

// templateNames lists the templates GET /api/v1/templates offers the
// admin.
func templateNames(t *testing.T, dc *desktopCore) map[string]bool {
	t.Helper()
	code, body, err := dc.admin.Do(ctxT(t, 30*time.Second), http.MethodGet, "/api/v1/templates", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /api/v1/templates: %d %v %s", code, err, body)
	}
	var list struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatalf("templates: %v in %s", err, body)
	}
	out := map[string]bool{}
	for _, it := range list.Items {
		out[it.Name] = true
	}
	return out
}

// SIGHUP makes the built core read its file again: a new template shows
// at once and a changed one applies, a session already running is left
// alone, a change only a restart applies is named, and a broken file
// keeps the running configuration and says where it is broken.
func TestSIGHUPReloadsTemplates(t *testing.T) {
	dc := startDesktopCore(t)
	s, err := dc.admin.CreateSession(ctxT(t, 30*time.Second), harness.DesktopTemplate)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dc.admin.WaitState(ctxT(t, desktopTimeout), s.ID, "running"); err != nil {
		t.Fatal(err)
	}
	if got := templateNames(t, dc); !got[harness.DesktopTemplate] || got["second"] {
		t.Fatalf("templates before the reload: %v", got)
	}

	src, err := os.ReadFile(dc.path)
	if err != nil {
		t.Fatal(err)
	}
	good := strings.Replace(string(src), `memory    = "1GiB"`, `memory    = "2GiB"`, 1) + `
template "second" {
  workspace = "desktop"
  runtime   = "docker"
}
`
	good = strings.Replace(good, "server {\n", "server {\n  plugin_timeout = \"11s\"\n", 1)
	if err := os.WriteFile(dc.path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(dc.core.cmd.Process.Signal(syscall.SIGHUP))
	waitFor(t, 30*time.Second, "the reload to offer template second", func() bool { return templateNames(t, dc)["second"] })
	waitFor(t, 10*time.Second, "the reload's log lines", func() bool {
		out := dc.core.out.String()
		return strings.Contains(out, "server.plugin_timeout changed; restart to apply") &&
			strings.Contains(out, `template \"desktop\" changed (memory)`) && strings.Contains(out, `template \"second\" added`)
	})

	// A broken file: the core keeps serving both templates and says
	// where the file is wrong.
	broken := good + "\ntemplate \"third\" {\n  workspace = \n}\n"
	must(os.WriteFile(dc.path, []byte(broken), 0o600))
	must(dc.core.cmd.Process.Signal(syscall.SIGHUP))
	waitFor(t, 30*time.Second, "the failed reload's log line", func() bool {
		out := dc.core.out.String()
		return strings.Contains(out, "config reload failed; the running configuration stays") && strings.Contains(out, "atrium.hcl:")
	})
	if got := templateNames(t, dc); !got[harness.DesktopTemplate] || !got["second"] || got["third"] {
		t.Fatalf("templates after a broken reload: %v", got)
	}

	// The session that ran before both reloads still runs, and the core
	// still serves.
	cur, err := dc.admin.Session(ctxT(t, 30*time.Second), s.ID)
	if err != nil || cur.State != "running" {
		t.Fatalf("session after the reloads: %+v, %v", cur, err)
	}
	select {
	case <-dc.core.exited:
		t.Fatal("the core exited on SIGHUP")
	default:
	}
}
