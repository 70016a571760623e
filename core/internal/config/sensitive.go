package config

import "github.com/hashicorp/hcl/v2"

// sensitiveExtra marks a diagnostic about a value that must not be shown:
// a database URL with its password, a plugin's env, or a plugin config
// attribute its schema declares Sensitive. It wraps any Extra the
// diagnostic already had.
type sensitiveExtra struct{ wrapped any }

// UnwrapDiagnosticExtra lets hcl.DiagnosticExtra see the wrapped value.
func (s sensitiveExtra) UnwrapDiagnosticExtra() any { return s.wrapped }

// markSensitive marks diag and drops the expression and evaluation
// context hcl attaches, which a renderer could use to print values.
func markSensitive(diag *hcl.Diagnostic) {
	if isSensitive(diag) {
		return
	}
	diag.Extra = sensitiveExtra{wrapped: diag.Extra}
	diag.Expression = nil
	diag.EvalContext = nil
}

// markSensitiveWithin marks every diagnostic whose subject overlaps one of
// ranges.
func markSensitiveWithin(diags hcl.Diagnostics, ranges []hcl.Range) {
	for _, diag := range diags {
		if diag.Subject == nil {
			continue
		}
		for _, r := range ranges {
			if r.Overlaps(*diag.Subject) {
				markSensitive(diag)
				break
			}
		}
	}
}

// isSensitive reports whether diag was marked by markSensitive.
func isSensitive(diag *hcl.Diagnostic) bool {
	_, ok := hcl.DiagnosticExtra[sensitiveExtra](diag)
	return ok
}
