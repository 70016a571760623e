package api

import (
	"net/http"

	"github.com/atrium-hq/atrium/core/internal/names"
	"github.com/atrium-hq/atrium/core/internal/problem"
)

// namesProblem answers names the store refused as 400, each field with the
// rule it broke; nil when err holds none.
func namesProblem(err error) *problem.Problem {
	var fields []problem.FieldError
	var walk func(error)
	walk = func(e error) {
		if ne, ok := e.(*names.Error); ok {
			fields = append(fields, problem.FieldError{Field: ne.Field, Rule: ne.Rule, Detail: ne.Detail})
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
	p := problem.New(http.StatusBadRequest, problem.InvalidName, "the request has names Atrium does not accept; see errors")
	p.Errors = fields
	return p
}
