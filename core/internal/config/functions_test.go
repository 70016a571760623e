package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEnvFunction(t *testing.T) {
	t.Setenv("ATRIUM_TEST_LISTEN", "127.0.0.1:9999")
	t.Setenv("ATRIUM_TEST_EMPTY", "")
	// t.Setenv restores the variable afterwards; then make sure it is unset.
	t.Setenv("ATRIUM_TEST_UNSET", "")
	if err := os.Unsetenv("ATRIUM_TEST_UNSET"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		expr   string
		listen string
		err    *wantDiag
		column int // of the argument's text, inside its quotes
	}{
		{name: "set", expr: `env("ATRIUM_TEST_LISTEN")`, listen: "127.0.0.1:9999"},
		{name: "set wins over default", expr: `env("ATRIUM_TEST_LISTEN", "x:1")`, listen: "127.0.0.1:9999"},
		{name: "unset with default", expr: `env("ATRIUM_TEST_UNSET", "0.0.0.0:1")`, listen: "0.0.0.0:1"},
		{name: "inside a template", expr: `"${env("ATRIUM_TEST_UNSET", "10.0.0.1")}:80"`, listen: "10.0.0.1:80"},
		{name: "unset", expr: `env("ATRIUM_TEST_UNSET")`, err: &wantDiag{2, "Invalid function argument"}, column: 17},
		{name: "empty is set", expr: `env("ATRIUM_TEST_EMPTY", "x:1")`, err: &wantDiag{2, "Invalid listen address"}, column: 12},
		{name: "too many arguments", expr: `env("A", "b", "c")`, err: &wantDiag{2, "Invalid function argument"}, column: 27},
		{name: "unknown function", expr: `getenv("A")`, err: &wantDiag{2, "Call to unknown function"}, column: 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "server {\n  listen = " + tt.expr + "\n}\n"
			if tt.err == nil {
				if got := mustParse(t, src).Server.Listen; got != tt.listen {
					t.Errorf("listen = %q, want %q", got, tt.listen)
				}
				return
			}
			d := checkParseErrors(t, src, *tt.err)
			if col := d.Diags[0].Subject.Start.Column; col != tt.column {
				t.Errorf("column %d, want %d: %s", col, tt.column, d)
			}
		})
	}
}

func TestFileFunction(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("listen", []byte("  127.0.0.1:7000\n"))
	write("binary", []byte{0xff, 0xfe, 0x00})
	write("large", make([]byte, maxFileSize+1))

	tests := []struct {
		name   string
		expr   string
		listen string
		err    *wantDiag
	}{
		{name: "relative", expr: `trimspace(file("listen"))`, listen: "127.0.0.1:7000"},
		{name: "absolute", expr: `trimspace(file("` + filepath.Join(dir, "listen") + `"))`, listen: "127.0.0.1:7000"},
		{name: "missing", expr: `file("nope")`, err: &wantDiag{2, "Invalid function argument"}},
		{name: "not text", expr: `file("binary")`, err: &wantDiag{2, "Invalid function argument"}},
		{name: "empty path", expr: `file("")`, err: &wantDiag{2, "Invalid function argument"}},
		{name: "directory", expr: `file(".")`, err: &wantDiag{2, "Invalid function argument"}},
		{name: "device", expr: `file("/dev/zero")`, err: &wantDiag{2, "Invalid function argument"}},
		{name: "too large", expr: `file("large")`, err: &wantDiag{2, "Invalid function argument"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "server {\n  listen = " + tt.expr + "\n}\n"
			cfg, err := Parse([]byte(src), testFile, dir)
			if tt.err == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if cfg.Server.Listen != tt.listen {
					t.Errorf("listen = %q, want %q", cfg.Server.Listen, tt.listen)
				}
				return
			}
			checkDiags(t, diagnosticsOf(t, err).Diags, *tt.err)
		})
	}
}
