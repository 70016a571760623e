package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// reloadBase is a whole configuration; reloadTests edit it with
// strings.Replace to make the re-read file.
const reloadBase = `
server {
  listen     = "127.0.0.1:8080"
  public_url = "https://atrium.example.com"
  state_dir  = "/var/lib/atrium"
  app_domain = "*.apps.example.com"
}
database {
  url = "postgres://atrium:secret@db/atrium"
}
plugin "docker" {
  path   = "/opt/atrium/docker"
  sha256 = "` + digest + `"
  env    = { TOKEN = "old-token" }
}
plugin "vnc" {
  path   = "/opt/atrium/vnc"
  sha256 = "` + digest + `"
}
plugin "oidc" {
  path   = "/opt/atrium/oidc"
  sha256 = "` + digest + `"
}
runtime "docker" {
  plugin = "docker"
  config {
    network = "atrium" # the sessions' network
  }
}
workspace "desktop" {
  plugin = "vnc"
}
auth "corp" {
  plugin                = "oidc"
  platform_admin_groups = ["admins"]
  map_group "eng" {
    org  = "engineering"
    role = "member"
  }
  config {
    issuer = "https://id.example.com"
  }
}
template "a" {
  workspace = "desktop"
  runtime   = "docker"
  image     = "atrium/desktop:1"
}
`

// parseBoth parses the running file and an edited copy with one base
// directory, as a reload of the same file does.
func parseBoth(t *testing.T, running, next string) (*Config, *Config) {
	t.Helper()
	dir := t.TempDir()
	a, err := Parse([]byte(running), testFile, dir)
	if err != nil {
		t.Fatalf("running config: %v", err)
	}
	b, err := Parse([]byte(next), testFile, dir)
	if err != nil {
		t.Fatalf("next config: %v", err)
	}
	return a, b
}

// edit applies old→new replacements to reloadBase, failing when one of
// them does not match.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	src := reloadBase
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(src, pairs[i]) {
			t.Fatalf("reloadBase lacks %q", pairs[i])
		}
		src = strings.Replace(src, pairs[i], pairs[i+1], 1)
	}
	return src
}

func TestReloadNamesEveryChangeOnlyARestartApplies(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits []string
		want  string
	}{
		{"listen", []string{`"127.0.0.1:8080"`, `"127.0.0.1:9090"`}, "server.listen"},
		{"state dir", []string{`"/var/lib/atrium"`, `"/srv/atrium"`}, "server.state_dir"},
		{"app domain", []string{`"*.apps.example.com"`, `"*.apps2.example.com"`}, "server.app_domain"},
		{"secrets key", []string{`app_domain =`, "secrets_key_file = \"/etc/atrium/key\"\n  app_domain ="}, "server.secrets_key_file"},
		{"plugin timeout", []string{`app_domain =`, "plugin_timeout = \"3s\"\n  app_domain ="}, "server.plugin_timeout"},
		{"database url", []string{`@db/atrium`, `@db2/atrium`}, "database.url"},
		{"plugin env", []string{`"old-token"`, `"new-token"`}, `plugin "docker" changed`},
		{"plugin added", []string{`plugin "oidc" {`, "plugin \"code\" {\n  path = \"/opt/code\"\n  sha256 = \"" + digest + "\"\n}\nplugin \"oidc\" {"}, `plugin "code" added`},
		{"runtime config", []string{`network = "atrium"`, `network = "other"`}, `runtime "docker" changed`},
		{"auth config", []string{`https://id.example.com`, `https://id2.example.com`}, `auth "corp" changed`},
		{"auth added", []string{`template "a" {`, "auth \"other\" {\n  plugin = \"oidc\"\n}\ntemplate \"a\" {"}, `auth "other" added`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			running, next := parseBoth(t, reloadBase, edit(t, tc.edits...))
			r, err := Reloaded(running, next)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Restart, []string{tc.want}) {
				t.Errorf("Restart = %q, want [%q]", r.Restart, tc.want)
			}
			if len(r.Applied) != 0 {
				t.Errorf("Applied = %q, want nothing", r.Applied)
			}
			// Not half-applied: what a restart applies keeps its running value.
			c := r.Config
			if !reflect.DeepEqual(c.Server, running.Server) || *c.Database != *running.Database ||
				!slices.Equal(c.Plugins, running.Plugins) || !slices.Equal(c.Runtimes, running.Runtimes) ||
				len(c.Auths) != len(running.Auths) || c.Auths[0] != running.Auths[0] {
				t.Errorf("the reloaded config took a change only a restart applies: %+v", c)
			}
			for _, s := range r.Restart {
				if strings.Contains(s, "token") || strings.Contains(s, "db2") {
					t.Errorf("a change names a value: %q", s)
				}
			}
		})
	}
}

func TestReloadIgnoresCommentsAndLayout(t *testing.T) {
	running, next := parseBoth(t, reloadBase, edit(t,
		`network = "atrium" # the sessions' network`, "# moved\n    network   =   \"atrium\"\n",
		`issuer = "https://id.example.com"`, "\n\n    issuer = \"https://id.example.com\" // same"))
	r, err := Reloaded(running, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Restart)+len(r.Applied) != 0 {
		t.Errorf("comments and spacing read as changes: restart %q, applied %q", r.Restart, r.Applied)
	}
}

func TestReloadAppliesTemplatesAndLoginRules(t *testing.T) {
	running, next := parseBoth(t, reloadBase, edit(t,
		`"atrium/desktop:1"`, `"atrium/desktop:2"`,
		`platform_admin_groups = ["admins"]`, `platform_admin_groups = ["admins", "ops"]`,
		`role = "member"`, `role = "org_admin"`,
		`listen     = "127.0.0.1:8080"`, `listen     = "127.0.0.1:9090"`,
	)+`
template "b" {
  workspace    = "desktop"
  runtime      = "docker"
  display_name = "B"
}
`)
	r, err := Reloaded(running, next)
	if err != nil {
		t.Fatal(err)
	}
	wantApplied := []string{`template "a" changed (image)`, `template "b" added`, `auth "corp" changed (platform_admin_groups, map_group)`}
	if !slices.Equal(r.Applied, wantApplied) {
		t.Errorf("Applied = %q, want %q", r.Applied, wantApplied)
	}
	if !slices.Equal(r.Restart, []string{"server.listen"}) {
		t.Errorf("Restart = %q, want [server.listen]", r.Restart)
	}
	c := r.Config
	if c.Template("a").Image != "atrium/desktop:2" || c.Template("b") == nil {
		t.Errorf("templates not applied: %+v", c.Templates)
	}
	a := c.Auth("corp")
	if !slices.Equal(a.PlatformAdminGroups, []string{"admins", "ops"}) || a.GroupMappings[0].Role != RoleOrgAdmin {
		t.Errorf("login rules not applied: %+v", a)
	}
	if !sameBody(running, c, running.Auth("corp").Config, a.Config) || a.Plugin != "oidc" {
		t.Error("the auth block's plugin config changed with its login rules")
	}
	if c.Server.Listen != running.Server.Listen {
		t.Errorf("listen = %q, want the running %q", c.Server.Listen, running.Server.Listen)
	}
	// The running config itself is left as it was: readers may hold it.
	if running.Template("a").Image != "atrium/desktop:1" || running.Template("b") != nil || len(running.Auth("corp").PlatformAdminGroups) != 1 {
		t.Error("Reloaded modified the running config")
	}

	// Reloading the same file again applies nothing and still asks for
	// the restart.
	again, err := Reloaded(c, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Applied) != 0 || !slices.Equal(again.Restart, []string{"server.listen"}) {
		t.Errorf("second reload: applied %q, restart %q", again.Applied, again.Restart)
	}
}

func TestReloadTemplateChangesAreNamed(t *testing.T) {
	running, next := parseBoth(t, reloadBase+`
template "gone" {
  workspace = "desktop"
  runtime   = "docker"
}
`, edit(t, `image     = "atrium/desktop:1"`, "image = \"atrium/desktop:1\"\n  cpu = 2\n  idle_timeout = \"1h\"\n  allow {\n    roles = [\"org_admin\"]\n  }\n  config {\n    x = 1\n  }"))
	r, err := Reloaded(running, next)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`template "a" changed (cpu, idle_timeout, allow, config)`, `template "gone" removed`}
	if !slices.Equal(r.Applied, want) {
		t.Errorf("Applied = %q, want %q", r.Applied, want)
	}
}

func TestReloadRefusesATemplateOnARuntimeNotRunning(t *testing.T) {
	running, next := parseBoth(t, reloadBase, reloadBase+`
runtime "k8s" {
  plugin = "docker"
}
template "b" {
  workspace = "desktop"
  runtime   = "k8s"
}
`)
	r, err := Reloaded(running, next)
	if !errors.Is(err, ErrReloadRefused) || r != nil {
		t.Fatalf("Reloaded = %v, %v; want ErrReloadRefused", r, err)
	}
	for _, w := range []string{`template "b" uses runtime "k8s"`, "restart to apply"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

// TestReloadNamesEveryServerSetting: a change to any field of the server
// block is named for a restart, so a setting added later cannot be
// silently dropped by a reload.
func TestReloadNamesEveryServerSetting(t *testing.T) {
	running, _ := parseBoth(t, reloadBase, reloadBase)
	typ := reflect.TypeOf(running.Server)
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Name == "DeclRange" {
			continue // where the block stands in the file, not a setting
		}
		next := *running
		v := reflect.ValueOf(&next.Server).Elem().Field(i)
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Slice:
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
		default:
			t.Fatalf("server field %s has kind %s: teach this test to change it", f.Name, v.Kind())
		}
		if got := restartChanges(running, &next); len(got) != 1 {
			t.Errorf("a change to server field %s gives %q, want it named once", f.Name, got)
		}
	}
}
