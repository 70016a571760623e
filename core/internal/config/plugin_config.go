package config

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/atrium-hq/atrium/sdk/schema"
)

// DecodePluginConfig decodes a plugin's `config { }` body against the
// schema the plugin reported and returns the result as JSON, the form the
// plugin receives. Pass the Config's EvalContext so the body can call the
// same functions as the rest of the file.
//
// Problems in the body (unknown or missing attributes, wrong types, too
// many blocks) are diagnostics located in the user's file. Diagnostics
// about attributes the schema marks Sensitive are marked so that
// Diagnostics.WriteText never shows their source. A schema the core cannot
// use is reported as one diagnostic per fault, naming the attribute or
// block, at the config block.
//
// Absent optional single blocks decode to null; absent list and map blocks
// to empty arrays and objects.
func DecodePluginConfig(body hcl.Body, s schema.Object, ctx *hcl.EvalContext) (json.RawMessage, hcl.Diagnostics) {
	if body == nil {
		body = hcl.EmptyBody()
	}
	spec, errs := objectSpec(s, "")
	if len(errs) > 0 {
		var diags hcl.Diagnostics
		for _, err := range errs {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid plugin config schema",
				Detail: fmt.Sprintf("The plugin reported a config schema the core cannot use: %s. "+
					"This is a bug in the plugin; report it to the plugin's authors.", err),
				Subject: body.MissingItemRange().Ptr(),
			})
		}
		return nil, diags
	}

	val, diags := hcldec.Decode(body, spec, ctx)
	sortByPosition(diags)
	if hasSensitive(s) {
		markSensitiveWithin(diags, sensitiveRanges(body, s))
	}
	if diags.HasErrors() {
		return nil, diags
	}
	raw, err := ctyjson.Marshal(val, val.Type())
	if err != nil {
		// Decoding succeeded, so this is the core's bug, not the user's.
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot encode plugin config",
			Detail:   fmt.Sprintf("The decoded config could not be encoded as JSON: %s.", err),
			Subject:  body.MissingItemRange().Ptr(),
		})
	}
	return raw, diags
}

// hasSensitive reports whether any attribute in o, at any depth, is
// sensitive.
func hasSensitive(o schema.Object) bool {
	for _, a := range o.Attrs {
		if a.Sensitive {
			return true
		}
	}
	for _, b := range o.Blocks {
		if hasSensitive(b.Body) {
			return true
		}
	}
	return false
}

// sensitiveRanges finds where the sensitive attributes of o are written in
// body and in its nested blocks.
func sensitiveRanges(body hcl.Body, o schema.Object) []hcl.Range {
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
	// Decode has reported every problem already; this pass only looks.
	content, _, _ := body.PartialContent(bs)
	var out []hcl.Range
	for name, a := range o.Attrs {
		if attr := content.Attributes[name]; attr != nil && a.Sensitive {
			out = append(out, attr.Range)
		}
	}
	for _, blk := range content.Blocks {
		out = append(out, sensitiveRanges(blk.Body, o.Blocks[blk.Type].Body)...)
	}
	return out
}
