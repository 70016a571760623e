package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
)

// ConfigValidator is implemented by plugins that check decoded values the
// schema cannot express: one of several words, a CIDR, a duration. `atrium
// config validate` calls it, so a value Configure would refuse fails there,
// reported at its file and line, before anything is started. It runs in a
// process that is never configured: it must not connect to backends or
// keep state. Configure should run the same checks.
type ConfigValidator interface {
	ValidateConfig(ctx context.Context, req ValidateConfigRequest) error
}

// ValidateConfigRequest carries the values to check.
type ValidateConfigRequest struct {
	// Config is as in ConfigureRequest.
	Config json.RawMessage
	// Instance is as in ConfigureRequest.
	Instance string
}

// ConfigError says which value of the `config { }` block is wrong, so the
// core reports it at that value's line. ValidateConfig and Configure may
// return several, joined with errors.Join; errors of other types are
// reported at the block.
type ConfigError struct {
	// Path leads from the block to the value: an attribute name, or a
	// nested block's type then its label or list index then an attribute
	// inside it, e.g. {"tunnel"} or {"mount", "0", "source"}.
	Path []string
	// Err says what is wrong and how to fix it.
	Err error
}

// Error names the value and says what is wrong with it.
func (e *ConfigError) Error() string {
	if len(e.Path) == 0 {
		return e.Err.Error()
	}
	return strings.Join(e.Path, ".") + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// ConfigProblem is one refused value as the host receives it.
type ConfigProblem struct {
	// Path is ConfigError.Path; empty for the block as a whole.
	Path []string
	// Message says what is wrong.
	Message string
}

// ConfigProblems flattens err, which may join several ConfigErrors, into
// one problem per refused value.
func ConfigProblems(err error) []ConfigProblem {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []ConfigProblem
		for _, e := range j.Unwrap() {
			out = append(out, ConfigProblems(e)...)
		}
		return out
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		return []ConfigProblem{{Path: ce.Path, Message: ce.Err.Error()}}
	}
	return []ConfigProblem{{Message: err.Error()}}
}
