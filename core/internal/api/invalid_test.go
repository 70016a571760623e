package api

import (
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/core/internal/problem"
)

// TestConstraintViolationNamesField: a value the database's CHECK
// constraints refuse gets 422 naming the request field, and the body
// carries no constraint name or SQL.
func TestConstraintViolationNamesField(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	root := w.session(w.root)
	for _, field := range []string{"max_sessions", "max_cpu_millis", "max_memory_bytes"} {
		r := w.do(root, "PUT", "/api/v1/orgs/"+w.orgA.ID.String()+"/quota", `{"`+field+`": -1}`, "Origin", "http://atrium.test")
		var p problem.Problem
		r.json(t, &p)
		if r.status != 422 || p.Type != problem.Invalid.URI() || len(p.Errors) != 1 || p.Errors[0].Field != field || p.Errors[0].Detail == "" {
			t.Errorf("%s: %d %s", field, r.status, r.body)
		}
		for _, internal := range []string{"quotas", "constraint", "_check", "violates", "relation"} {
			if strings.Contains(string(r.body), internal) {
				t.Errorf("%s: the body says %q: %s", field, internal, r.body)
			}
		}
	}
}
