package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/atrium-hq/atrium/sdk/schema"
)

// objectSpec converts a plugin's schema into an hcldec spec. It checks the
// whole schema and returns every fault, each naming its attribute or block
// by path ("tls.ca_file"), because a panic or a vague error here would
// take the core down for a plugin's mistake.
func objectSpec(o schema.Object, prefix string) (hcldec.ObjectSpec, []error) {
	spec := hcldec.ObjectSpec{}
	var errs []error

	// Sorted so the faults come out in a stable order.
	for _, name := range sortedKeys(o.Attrs) {
		a, path := o.Attrs[name], prefix+name
		if !hclsyntax.ValidIdentifier(name) {
			errs = append(errs, fmt.Errorf("attribute %q: the name is not a valid HCL identifier", path))
			continue
		}
		s, err := attrSpec(name, a)
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %q: %w", path, err))
			continue
		}
		spec[name] = s
	}
	for _, name := range sortedKeys(o.Blocks) {
		b, path := o.Blocks[name], prefix+name
		if !hclsyntax.ValidIdentifier(name) {
			errs = append(errs, fmt.Errorf("block %q: the name is not a valid HCL identifier", path))
			continue
		}
		if _, clash := o.Attrs[name]; clash {
			errs = append(errs, fmt.Errorf("block %q: an attribute has the same name", path))
			continue
		}
		nested, nestedErrs := objectSpec(b.Body, path+".")
		errs = append(errs, nestedErrs...)
		s, err := blockSpec(name, b, nested)
		if err != nil {
			errs = append(errs, fmt.Errorf("block %q: %w", path, err))
			continue
		}
		spec[name] = s
	}
	return spec, errs
}

// attrSpec builds the spec for one attribute, with its default if any.
func attrSpec(name string, a schema.Attr) (hcldec.Spec, error) {
	ty, err := parseTypeConstraint(a.Type)
	if err != nil {
		return nil, err
	}
	spec := &hcldec.AttrSpec{Name: name, Type: ty, Required: a.Required}
	def, ok, err := defaultValue(a.Default, ty)
	if err != nil {
		return nil, err
	}
	if !ok {
		return spec, nil
	}
	if a.Required {
		return nil, errors.New("it is required and also has a default")
	}
	return &hcldec.DefaultSpec{Primary: spec, Default: &hcldec.LiteralSpec{Value: def}}, nil
}

// blockSpec builds the spec for one nested block type. Bodies with
// attributes of type "any" decode to tuples and objects instead of lists
// and maps, whose elements must all share one type (and hcldec panics on
// a map that breaks that rule).
func blockSpec(name string, b schema.Block, nested hcldec.ObjectSpec) (hcldec.Spec, error) {
	dynamic := hcldec.ImpliedType(nested).HasDynamicTypes()
	switch b.Nesting {
	case schema.NestingSingle:
		return &hcldec.BlockSpec{TypeName: name, Nested: nested, Required: b.Required}, nil
	case schema.NestingList:
		if b.MinItems < 0 || b.MaxItems < 0 || (b.MaxItems > 0 && b.MinItems > b.MaxItems) {
			return nil, fmt.Errorf("MinItems %d and MaxItems %d are not a valid range", b.MinItems, b.MaxItems)
		}
		minItems := b.MinItems
		if b.Required && minItems == 0 {
			minItems = 1
		}
		if dynamic {
			return &hcldec.BlockTupleSpec{TypeName: name, Nested: nested, MinItems: minItems, MaxItems: b.MaxItems}, nil
		}
		return &hcldec.BlockListSpec{TypeName: name, Nested: nested, MinItems: minItems, MaxItems: b.MaxItems}, nil
	case schema.NestingMap:
		labels := []string{"key"}
		if dynamic {
			return &hcldec.BlockObjectSpec{TypeName: name, LabelNames: labels, Nested: nested}, nil
		}
		return &hcldec.BlockMapSpec{TypeName: name, LabelNames: labels, Nested: nested}, nil
	default:
		return nil, fmt.Errorf("unknown nesting %d", b.Nesting)
	}
}

// parseTypeConstraint parses a type string such as "list(string)" the way
// HCL's typeexpr reads type expressions.
func parseTypeConstraint(s string) (cty.Type, error) {
	if s == "" {
		return cty.NilType, errors.New(`the type is empty; use "any" to accept any value`)
	}
	expr, diags := hclsyntax.ParseExpression([]byte(s), "type", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilType, fmt.Errorf("type %q does not parse: %s", s, diagText(diags))
	}
	ty, diags := typeexpr.TypeConstraint(expr)
	if diags.HasErrors() {
		return cty.NilType, fmt.Errorf("type %q is not a type: %s", s, diagText(diags))
	}
	return ty, nil
}

// diagText is the first error of diags as plain text, without the
// location, which would point into the type string, not a file.
func diagText(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			if d.Detail != "" {
				return d.Detail
			}
			return d.Summary
		}
	}
	return "unknown error"
}

// defaultValue converts an attribute's default to a value of type ty. On
// the host side the default arrives as json.RawMessage; in-process (tests,
// plugintest) it may be any Go value, which is first encoded as JSON. ok
// is false when there is no default (nil or JSON null).
func defaultValue(d any, ty cty.Type) (cty.Value, bool, error) {
	var raw []byte
	switch v := d.(type) {
	case nil:
		return cty.NilVal, false, nil
	case json.RawMessage:
		raw = v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return cty.NilVal, false, fmt.Errorf("the default does not encode as JSON: %w", err)
		}
		raw = b
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return cty.NilVal, false, nil
	}

	// JSON alone cannot say which cty type a value has when the schema
	// leaves it open ("any", "list(any)"), so take the type the JSON
	// implies and then convert to the constraint.
	target := ty
	if ty.HasDynamicTypes() {
		implied, err := ctyjson.ImpliedType(raw)
		if err != nil {
			return cty.NilVal, false, fmt.Errorf("the default is not valid JSON: %w", err)
		}
		target = implied
	}
	v, err := ctyjson.Unmarshal(raw, target)
	if err != nil {
		return cty.NilVal, false, fmt.Errorf("the default does not match the type: %w", err)
	}
	v, err = convert.Convert(v, ty)
	if err != nil {
		return cty.NilVal, false, fmt.Errorf("the default does not match the type: %w", err)
	}
	return v, true, nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
