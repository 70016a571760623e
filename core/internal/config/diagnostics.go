package config

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Diagnostics is the error Parse and Load return when a configuration is
// invalid. It holds every problem found, not just the first, and the parsed
// sources needed to show each one in context.
type Diagnostics struct {
	Diags hcl.Diagnostics
	// Files maps file names, as used in the diagnostics' ranges, to their
	// parsed sources.
	Files map[string]*hcl.File
}

// Error lists the problems one per line as "file:line:col: summary: detail".
func (d *Diagnostics) Error() string {
	lines := make([]string, 0, len(d.Diags))
	for _, diag := range d.Diags {
		lines = append(lines, formatDiagnostic(diag))
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the underlying hcl.Diagnostics to errors.As.
func (d *Diagnostics) Unwrap() error { return d.Diags }

// WriteText renders every diagnostic for a terminal: severity, summary,
// file:line:col, the source lines involved and the detail. width wraps the
// text (0 means no wrapping); color adds ANSI colours. Diagnostics about a
// sensitive value are shown without their source lines.
func (d *Diagnostics) WriteText(w io.Writer, width uint, color bool) error {
	withSource := hcl.NewDiagnosticTextWriter(w, d.Files, width, color)
	for _, diag := range d.Diags {
		var err error
		if isSensitive(diag) {
			err = writeWithoutSource(w, diag)
		} else {
			err = withSource.WriteDiagnostic(diag)
		}
		if err != nil {
			return fmt.Errorf("write diagnostics: %w", err)
		}
	}
	return nil
}

// formatDiagnostic is the one-line form used by Error.
func formatDiagnostic(diag *hcl.Diagnostic) string {
	var b strings.Builder
	if diag.Subject != nil {
		fmt.Fprintf(&b, "%s: ", position(*diag.Subject))
	}
	if diag.Severity == hcl.DiagWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(diag.Summary)
	if diag.Detail != "" {
		b.WriteString(": ")
		b.WriteString(diag.Detail)
	}
	return b.String()
}

// position is "file:line:col", the form editors and terminals link.
func position(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// writeWithoutSource renders diag like hcl's text writer but leaves out the
// source lines, which would show the sensitive value.
func writeWithoutSource(w io.Writer, diag *hcl.Diagnostic) error {
	severity := "Error"
	if diag.Severity == hcl.DiagWarning {
		severity = "Warning"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n\n", severity, diag.Summary)
	if diag.Subject != nil {
		fmt.Fprintf(&b, "  on %s (source not shown: sensitive value)\n\n", position(*diag.Subject))
	}
	if diag.Detail != "" {
		fmt.Fprintf(&b, "%s\n\n", diag.Detail)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// sortByPosition orders diags as they appear in the source, so output reads
// top to bottom however they were found (hcldec, for one, walks maps).
// Diagnostics without a location come first; ties are broken by summary
// so the order never depends on map iteration.
func sortByPosition(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Byte != b.Start.Byte:
			return a.Start.Byte < b.Start.Byte
		default:
			return diags[i].Summary < diags[j].Summary
		}
	})
}
