package config

import (
	"fmt"
	"strconv"

	"github.com/hashicorp/hcl/v2"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// PluginProblems turns the values a plugin refused after decoding (its
// ValidateConfig answer) into diagnostics at the lines that wrote them.
// A path that leads nowhere in body is reported at the deepest block it
// reached, else at decl, the range of the block that holds the body.
func PluginProblems(body hcl.Body, s schema.Object, decl hcl.Range, block string, problems []plugin.ConfigProblem) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, p := range problems {
		at := decl
		if body != nil {
			at = locate(body, s, p.Path, decl)
		}
		summary := fmt.Sprintf("Invalid value in %s config", block)
		if len(p.Path) > 0 {
			summary = fmt.Sprintf("Invalid %s in %s config", pathString(p.Path), block)
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  summary,
			Detail:   p.Message,
			Subject:  at.Ptr(),
		})
	}
	if body != nil && hasSensitive(s) {
		markSensitiveWithin(diags, sensitiveRanges(body, s))
	}
	return diags
}

// locate finds where path's value is written in body, falling back to the
// innermost enclosing block found, then to outer.
func locate(body hcl.Body, o schema.Object, path []string, outer hcl.Range) hcl.Range {
	if len(path) == 0 {
		return outer
	}
	bs := &hcl.BodySchema{}
	for name := range o.Attrs {
		bs.Attributes = append(bs.Attributes, hcl.AttributeSchema{Name: name})
	}
	for name, b := range o.Blocks {
		h := hcl.BlockHeaderSchema{Type: name}
		if b.Nesting == schema.NestingMap {
			h.LabelNames = []string{"key"}
		}
		bs.Blocks = append(bs.Blocks, h)
	}
	// Decoding succeeded already; this pass only looks.
	content, _, _ := body.PartialContent(bs)
	if a := content.Attributes[path[0]]; a != nil {
		return a.Expr.Range()
	}
	b, ok := o.Blocks[path[0]]
	if !ok {
		return outer
	}
	var blocks hcl.Blocks
	for _, blk := range content.Blocks {
		if blk.Type == path[0] {
			blocks = append(blocks, blk)
		}
	}
	rest := path[1:]
	var found *hcl.Block
	switch b.Nesting {
	case schema.NestingMap:
		if len(rest) > 0 {
			for _, blk := range blocks {
				if blk.Labels[0] == rest[0] {
					found = blk
				}
			}
			rest = rest[1:]
		}
	case schema.NestingList:
		if len(rest) > 0 {
			if i, err := strconv.Atoi(rest[0]); err == nil && i >= 0 && i < len(blocks) {
				found = blocks[i]
			}
			rest = rest[1:]
		}
	default:
		if len(blocks) > 0 {
			found = blocks[0]
		}
	}
	if found == nil {
		return outer
	}
	return locate(found.Body, b.Body, rest, found.DefRange)
}

// pathString writes a path as HCL would address it: mount[0].source.
func pathString(path []string) string {
	out := path[0]
	for _, p := range path[1:] {
		if _, err := strconv.Atoi(p); err == nil {
			out += "[" + p + "]"
		} else {
			out += "." + p
		}
	}
	return out
}
