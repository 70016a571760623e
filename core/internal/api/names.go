package api

import (
	"net/http"

	"github.com/atrium-hq/atrium/core/internal/names"
)

// namesProblem answers names the store refused as 400, each field with the
// rule it broke; nil when err holds none.
func namesProblem(err error) *Problem {
	var fields []FieldError
	var walk func(error)
	walk = func(e error) {
		if ne, ok := e.(*names.Error); ok {
			fields = append(fields, FieldError{Field: ne.Field, Rule: ne.Rule, Detail: ne.Detail})
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	if len(fields) == 0 {
		return nil
	}
	p := NewProblem(http.StatusBadRequest, "invalid-name", "the request has names Atrium does not accept; see errors")
	p.Errors = fields
	return p
}
