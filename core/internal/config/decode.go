package config

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// decoder turns a parsed file into a Config, collecting every problem.
type decoder struct {
	evaluator
	// baseDir resolves relative paths: the config file's directory.
	baseDir string
}

// decodeRoot decodes the top-level body. It always returns a Config; the
// caller discards it when d.diags has errors.
func (d *decoder) decodeRoot(body hcl.Body) *Config {
	content, diags := body.Content(rootSchema)
	d.diags = append(d.diags, diags...)

	byType := map[string][]*hcl.Block{}
	for _, b := range content.Blocks {
		byType[b.Type] = append(byType[b.Type], b)
	}

	cfg := &Config{}
	cfg.Server = d.server(d.single(byType["server"]))
	if b := d.single(byType["database"]); b != nil {
		cfg.Database = d.database(b)
	}
	cfg.Plugins = decodeNamed(d, byType["plugin"], d.plugin)
	cfg.Runtimes = decodeNamed(d, byType["runtime"], d.runtime)
	cfg.Workspaces = decodeNamed(d, byType["workspace"], d.workspace)
	cfg.Auths = decodeNamed(d, byType["auth"], d.auth)
	cfg.Templates = decodeNamed(d, byType["template"], d.template)
	d.checkReferences(cfg)
	return cfg
}

// decodeNamed decodes labelled blocks of one type. Every block is decoded,
// duplicates included, so their own errors are reported too; only the
// first block of each name is kept.
func decodeNamed[T any](d *decoder, blocks []*hcl.Block, decode func(*hcl.Block) T) []T {
	dup := d.checkLabels(blocks)
	var out []T
	for _, b := range blocks {
		if v := decode(b); !dup[b] {
			out = append(out, v)
		}
	}
	return out
}

// labelPattern is what block names may look like. Names appear in URLs,
// logs and container labels, so they stay plain.
var labelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

// checkLabels reports names that are malformed or used twice among blocks
// of one type, and returns the blocks that repeat an earlier name.
func (d *decoder) checkLabels(blocks []*hcl.Block) map[*hcl.Block]bool {
	first := map[string]*hcl.Block{}
	dup := map[*hcl.Block]bool{}
	for _, b := range blocks {
		name, rng := b.Labels[0], b.LabelRanges[0]
		if !labelPattern.MatchString(name) {
			d.errorf(rng, fmt.Sprintf("Invalid %s name", b.Type),
				"%s names are 1 to 63 letters, digits, '-' or '_', starting with a letter or digit.", b.Type)
		}
		if prev, ok := first[name]; ok {
			d.errorf(rng, fmt.Sprintf("Duplicate %s block", b.Type),
				"A %s named %q is already defined at %s. Names must be unique.", b.Type, name, position(prev.DefRange))
			dup[b] = true
			continue
		}
		first[name] = b
	}
	return dup
}

// single returns the first of blocks, which may appear at most once, and
// reports every further one. It returns nil when blocks is empty.
func (d *decoder) single(blocks []*hcl.Block) *hcl.Block {
	if len(blocks) == 0 {
		return nil
	}
	for _, b := range blocks[1:] {
		d.errorf(b.DefRange, fmt.Sprintf("Duplicate %s block", b.Type),
			"Only one %s block is allowed here; the first is at %s.", b.Type, position(blocks[0].DefRange))
	}
	return blocks[0]
}

// content checks body against schema and records the problems.
func (d *decoder) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	content, diags := body.Content(schema)
	d.diags = append(d.diags, diags...)
	return content
}

// pluginConfig returns the body of the `config` block among blocks, or an
// empty body located at parent's header when there is none: the plugin's
// defaults then apply, and a missing required attribute is reported at the
// parent block.
func (d *decoder) pluginConfig(blocks hcl.Blocks, parent *hcl.Block) hcl.Body {
	if b := d.single(blocks.OfType("config")); b != nil {
		return b.Body
	}
	return &hclsyntax.Body{SrcRange: parent.DefRange, EndRange: parent.DefRange}
}
