package problem

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"
)

// stable lists every problem type clients may switch on. Removing or
// renaming one breaks clients: change this list only to add.
var stable = []string{
	"already-set-up", "app-busy", "app-token", "app-unauthenticated", "app-unavailable",
	"app-unreachable", "app-websocket", "apps-unavailable", "bad-framing", "bad-host",
	"bad-next", "bad-origin", "bad-request", "bad-request-target", "cannot-adopt", "conflict", "cross-origin",
	"csrf", "database-unavailable", "draining", "events-unavailable", "forbidden", "headers-too-large", "home-in-use",
	"http-error", "internal", "invalid", "invalid-cursor", "invalid-name", "invalid-state",
	"login-failed", "login-refused", "login-required", "login-throttled", "login-unavailable",
	"method-not-allowed", "no-such-app", "not-an-app", "not-found", "not-owner", "not-ready",
	"not-running", "owner-not-member", "quota-exceeded", "rate-limited", "read-only-key",
	"relay-handshake", "relay-not-websocket", "relay-origin", "relay-rate-limited",
	"relay-server-limit", "relay-session-not-running", "relay-session-restarted",
	"relay-subprotocol", "relay-ticket-invalid", "relay-ticket-missing",
	"relay-ticket-rate-limited", "relay-ticket-session", "relay-ticket-store",
	"relay-unavailable", "relay-upstream", "relay-upstream-busy", "relay-user-limit", "request-timeout",
	"setup-token", "too-large", "unauthenticated", "unauthorized", "unavailable",
}

// TestCatalogueStable: the catalogue declares exactly the stable types,
// each once. It reads catalogue.go itself, since Type values are the only
// way to name a type and other packages cannot make new ones.
func TestCatalogueStable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "catalogue.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	ast.Inspect(f, func(n ast.Node) bool {
		cl, ok := n.(*ast.CompositeLit)
		if !ok || len(cl.Elts) != 1 {
			return true
		}
		if id, ok := cl.Type.(*ast.Ident); !ok || id.Name != "Type" {
			return true
		}
		lit, ok := cl.Elts[0].(*ast.BasicLit)
		if !ok {
			t.Fatalf("a Type literal holds %T, not a string", cl.Elts[0])
		}
		s, _ := strconv.Unquote(lit.Value)
		got = append(got, s)
		return true
	})
	slices.Sort(got)
	if dup := slices.Compact(slices.Clone(got)); len(dup) != len(got) {
		t.Errorf("a slug is declared twice: %v", got)
	}
	want := slices.Sorted(slices.Values(stable))
	if !slices.Equal(got, want) {
		t.Errorf("catalogue:\n got %v\nwant %v", got, want)
	}
	if u := TooLarge.URI(); u != "https://atrium.dev/problems/too-large" {
		t.Errorf("URI %q", u)
	}
}
