package config

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// evaluator turns attribute expressions into Go values. It records every
// problem in diags and carries on, so one pass reports them all. Each
// method leaves its destination untouched when the attribute is absent,
// null or wrong, so destinations can be pre-filled with defaults, and
// returns whether it stored a value.
type evaluator struct {
	ctx   *hcl.EvalContext
	diags hcl.Diagnostics
}

// errorf records an error diagnostic at subject.
func (e *evaluator) errorf(subject hcl.Range, summary, format string, args ...any) {
	e.diags = append(e.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject.Ptr(),
	})
}

// value evaluates attr and converts the result to ty. ok is false when attr
// is nil (absent), evaluates to null, or fails.
func (e *evaluator) value(attr *hcl.Attribute, ty cty.Type, what string) (cty.Value, bool) {
	if attr == nil {
		return cty.NilVal, false
	}
	v, diags := attr.Expr.Value(e.ctx)
	e.diags = append(e.diags, diags...)
	if diags.HasErrors() || v.IsNull() {
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		e.diags = append(e.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   fmt.Sprintf("%q must be %s: %s.", attr.Name, what, err),
			Subject:  attr.Expr.Range().Ptr(),
			Context:  hcl.RangeBetween(attr.NameRange, attr.Expr.Range()).Ptr(),
		})
		return cty.NilVal, false
	}
	return cv, true
}

// str stores a string attribute in dst.
func (e *evaluator) str(attr *hcl.Attribute, dst *string) bool {
	v, ok := e.value(attr, cty.String, "a string")
	if ok {
		*dst = v.AsString()
	}
	return ok
}

// strList stores a list(string) attribute in dst.
func (e *evaluator) strList(attr *hcl.Attribute, dst *[]string) bool {
	v, ok := e.value(attr, cty.List(cty.String), "a list of strings")
	if !ok {
		return false
	}
	out := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		i, elem := it.Element()
		if elem.IsNull() {
			// Conversion keeps null elements; AsString would panic on them.
			n, _ := i.AsBigFloat().Int64()
			e.errorf(elementRange(attr, int(n)), "Null list element", "Element %d of %q is null; remove it or give a string.", n, attr.Name)
			return false
		}
		out = append(out, elem.AsString())
	}
	*dst = out
	return true
}

// strMap stores a map(string) attribute in dst.
func (e *evaluator) strMap(attr *hcl.Attribute, dst *map[string]string) bool {
	v, ok := e.value(attr, cty.Map(cty.String), "a map of strings")
	if !ok {
		return false
	}
	out := make(map[string]string, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		k, elem := it.Element()
		if elem.IsNull() {
			e.errorf(attr.Expr.Range(), "Null map value", "The value for key %q in %q is null; remove it or give a string.", k.AsString(), attr.Name)
			return false
		}
		out[k.AsString()] = elem.AsString()
	}
	*dst = out
	return true
}

// number returns a number attribute.
func (e *evaluator) number(attr *hcl.Attribute) (*big.Float, bool) {
	v, ok := e.value(attr, cty.Number, "a number")
	if !ok {
		return nil, false
	}
	return v.AsBigFloat(), true
}

// elementRange is the source of element i of a list attribute when the list
// is written out literally, and the whole expression otherwise (a function
// call, say), so errors point as close to the culprit as the source allows.
func elementRange(attr *hcl.Attribute, i int) hcl.Range {
	exprs, diags := hcl.ExprList(attr.Expr)
	if !diags.HasErrors() && i < len(exprs) {
		return exprs[i].Range()
	}
	return attr.Expr.Range()
}

// sentence turns a validation error into a diagnostic detail: capitalised
// and ending with a full stop, like hcl's own details.
func sentence(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
