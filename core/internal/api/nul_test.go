package api

import (
	"testing"

	"github.com/atrium-hq/atrium/core/internal/problem"
)

// TestNULInJSONString: a NUL (\u0000) in any string of a JSON body gets
// 400 naming the field, on every kind of endpoint (the unauthenticated
// login among them), and nothing is written.
func TestNULInJSONString(t *testing.T) {
	w := newWorld(t, "http://atrium.test")
	root, userA := w.session(w.root), w.session(w.userA)
	origin := []string{"Origin", "http://atrium.test"}
	orgA := "/api/v1/orgs/" + w.orgA.ID.String()
	cases := []struct {
		name         string
		c            caller
		method, path string
		body, field  string
	}{
		{"login", caller{}, "POST", "/api/v1/auth/login", `{"username":"admin\u0000","password":"x"}`, "username"},
		{"login, password", caller{}, "POST", "/api/v1/auth/login", `{"username":"user-a","password":"` + testPassword + `\u0000"}`, "password"},
		{"create user", root, "POST", "/api/v1/users", `{"username":"eve","email":"eve@example.test","display_name":"E\u0000ve","password":"long enough password"}`, "display_name"},
		{"patch me", userA, "PATCH", "/api/v1/me", `{"display_name":"\u0000"}`, "display_name"},
		{"create org", root, "POST", "/api/v1/orgs", `{"slug":"org-c","name":"C\u0000"}`, "name"},
		{"add member", root, "POST", orgA + "/members", `{"user_id":"` + w.userB.ID.String() + `","role":"member\u0000"}`, "role"},
		{"create session", userA, "POST", "/api/v1/sessions", `{"template":"t\u0000","org_id":"` + w.orgA.ID.String() + `"}`, "template"},
		{"key of the field", root, "POST", "/api/v1/orgs", `{"slug":"org-c","na\u0000me":"C"}`, `na\u0000me`},
	}
	before := w.digest()
	for _, tc := range cases {
		r := w.do(tc.c, tc.method, tc.path, tc.body, origin...)
		var p problem.Problem
		r.json(t, &p)
		if r.status != 400 || p.Type != problem.BadRequest.URI() || len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: %d %s; want 400 naming %s", tc.name, r.status, r.body, tc.field)
		}
	}
	if after := w.digest(); after != before {
		t.Error("a refused request changed the database")
	}
}

// TestNULField: the path of the string holding the NUL, nested or not;
// an escaped backslash before "u0000" is no NUL.
func TestNULField(t *testing.T) {
	cases := map[string]string{
		`{"a":"x","b":{"c":[1,"ok",{"d":"\u0000"}]}}`: "b.c[2].d",
		`["a","\u0000"]`:              "[1]",
		`"\u0000"`:                    "body",
		`{"a":{"b":1},"c":"x\u0000"}`: "c",
		`{"a":"\\u0000"}`:             "",
		`{"a":"\u0000`:                "", // not JSON: decoding reports it
	}
	for body, want := range cases {
		got, ok := nulField([]byte(body))
		if got != want || ok != (want != "") {
			t.Errorf("%s: %q %v, want %q", body, got, ok, want)
		}
	}
}
