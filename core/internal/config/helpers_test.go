package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// testFile is the name test sources are parsed under.
const testFile = "test.hcl"

// wantDiag is an expected error: its line and a fragment of its summary.
type wantDiag struct {
	line    int
	summary string
}

// parseTest parses src as testFile with a fresh base directory.
func parseTest(t *testing.T, src string) (*Config, error) {
	t.Helper()
	return Parse([]byte(src), testFile, t.TempDir())
}

// mustParse parses src and fails the test on any error.
func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	cfg, err := parseTest(t, src)
	if err != nil {
		t.Fatalf("Parse: unexpected error:\n%v", err)
	}
	return cfg
}

// diagnosticsOf extracts the *Diagnostics from err.
func diagnosticsOf(t *testing.T, err error) *Diagnostics {
	t.Helper()
	if err == nil {
		t.Fatal("Parse succeeded; want diagnostics")
	}
	var d *Diagnostics
	if !errors.As(err, &d) {
		t.Fatalf("error is %T, want *Diagnostics: %v", err, err)
	}
	return d
}

// checkDiags asserts that diags are exactly want, in order, each an error
// located in testFile on the wanted line.
func checkDiags(t *testing.T, diags hcl.Diagnostics, want ...wantDiag) {
	t.Helper()
	if len(diags) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(diags), len(want), (&Diagnostics{Diags: diags}).Error())
	}
	for i, w := range want {
		d := diags[i]
		if d.Severity != hcl.DiagError {
			t.Errorf("diagnostic %d is not an error: %s", i, formatDiagnostic(d))
		}
		if d.Subject == nil {
			t.Errorf("diagnostic %d has no location: %s", i, formatDiagnostic(d))
			continue
		}
		if d.Subject.Filename != testFile || d.Subject.Start.Line != w.line {
			t.Errorf("diagnostic %d at %s, want %s line %d: %s", i, position(*d.Subject), testFile, w.line, formatDiagnostic(d))
		}
		if !strings.Contains(d.Summary, w.summary) {
			t.Errorf("diagnostic %d summary %q, want it to contain %q", i, d.Summary, w.summary)
		}
	}
}

// checkParseErrors parses src and asserts its diagnostics are want.
func checkParseErrors(t *testing.T, src string, want ...wantDiag) *Diagnostics {
	t.Helper()
	_, err := parseTest(t, src)
	d := diagnosticsOf(t, err)
	checkDiags(t, d.Diags, want...)
	return d
}
