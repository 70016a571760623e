package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestAppDomainMustNotContainCoreHost: an app_domain equal to the core's
// host or a parent of it is refused at its own line, with the way out;
// a domain of its own, or a sibling, passes.
func TestAppDomainMustNotContainCoreHost(t *testing.T) {
	src := func(publicURL, appDomain string) string {
		return fmt.Sprintf("server {\n  public_url = %q\n  app_domain = %q\n}\n", publicURL, appDomain)
	}
	for _, bad := range [][2]string{
		{"https://atrium.example.com", "*.example.com"},
		{"https://atrium.example.com", "*.atrium.example.com"},
		{"https://Atrium.Example.com:8443", "*.EXAMPLE.com"},
		{"https://a.b.example.com", "*.example.com"},
	} {
		d := checkParseErrors(t, src(bad[0], bad[1]), wantDiag{3, "App domain contains the core's host"})
		if msg := d.Error(); !strings.Contains(msg, "test.hcl:3:16") || !strings.Contains(msg, `"*.apps.`) {
			t.Errorf("%v: %s", bad, msg)
		}
	}
	for _, good := range [][2]string{
		{"https://atrium.example.com", "*.apps.atrium.example.com"},
		{"https://atrium.example.com", "*.apps.example.com"},
		{"https://example.com", "*.apps.example.com"},
		{"https://notexample.com", "*.example.com"},
		{"http://127.0.0.1:8080", "*.apps.localhost"},
	} {
		mustParse(t, src(good[0], good[1]))
	}
}
