package config

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2/hclparse"

	embedded "github.com/atrium-hq/atrium/config"
)

// DefaultFilename is the name diagnostics use for the embedded default.
const DefaultFilename = "(embedded)/default.hcl"

// Load reads and decodes the config file at path. Relative paths inside it
// (plugin binaries, state_dir, file()) are taken from the file's directory.
//
// An invalid config yields a *Diagnostics listing every problem. Failing to
// read the file yields an error that wraps the os error.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("locate config directory: %w", err)
	}
	return Parse(src, path, dir)
}

// Default decodes the embedded default config, with plugin paths taken
// from baseDir: the directory of the atrium binary.
func Default(baseDir string) (*Config, error) {
	return Parse(embedded.Default, DefaultFilename, baseDir)
}

// Parse decodes src, naming it filename in diagnostics and resolving
// relative paths against baseDir, which should be absolute. On failure the
// error is a *Diagnostics.
//
// Syntax errors stop decoding, because a half-parsed file would only add
// misleading follow-on errors; every other problem is reported together.
func Parse(src []byte, filename, baseDir string) (*Config, error) {
	parser := hclparse.NewParser()
	file, diags := parser.ParseHCL(src, filename)
	if diags.HasErrors() {
		return nil, &Diagnostics{Diags: diags, Files: parser.Files()}
	}

	ctx := NewEvalContext(baseDir)
	d := &decoder{evaluator: evaluator{ctx: ctx}, baseDir: baseDir}
	cfg := d.decodeRoot(file.Body)
	diags = append(diags, d.diags...)
	sortByPosition(diags)
	if diags.HasErrors() {
		return nil, &Diagnostics{Diags: diags, Files: parser.Files()}
	}
	cfg.files = parser.Files()
	cfg.evalCtx = ctx
	return cfg, nil
}
