package plugintest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// apiPackages are plugintest and the SDK packages whose types its exported
// functions take or return, as folders beside this one.
var apiPackages = []string{"plugintest", "connect", "runtime", "workspace", "auth", "plugin", "launch", "schema"}

// TestAPIUsesPublicTypesOnly: no exported function, method, type or field
// of plugintest, or of the packages its API reaches, names a type of an
// internal package, so a plugin author can name every type they are handed.
// Values such as auth.ErrNoRefresh may come from one: their type is error.
// Syntax, not type-checking, keeps the test fast; an alias of an internal
// type is caught where it is declared.
func TestAPIUsesPublicTypesOnly(t *testing.T) {
	decls := 0
	for _, dir := range apiPackages {
		files, err := filepath.Glob(filepath.Join("..", dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in sdk/%s: %v", dir, err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") || isGenerated(t, name) {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			internal := internalImports(f)
			for _, node := range exportedAPI(f) {
				decls++
				ast.Inspect(node, func(n ast.Node) bool {
					sel, ok := n.(*ast.SelectorExpr)
					if !ok {
						return true
					}
					if id, ok := sel.X.(*ast.Ident); ok && internal[id.Name] != "" {
						t.Errorf("sdk/%s/%s: exported API names %s.%s of %s", dir, filepath.Base(name), id.Name, sel.Sel.Name, internal[id.Name])
					}
					return true
				})
			}
		}
	}
	if decls < 50 {
		t.Fatalf("found only %d exported declarations; the scan is broken", decls)
	}
}

func isGenerated(t *testing.T, name string) bool {
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), "Code generated")
}

// internalImports maps the names under which f imports internal packages
// to their paths.
func internalImports(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if !strings.Contains(p, "/internal/") {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		out[name] = p
	}
	return out
}

// exportedAPI returns the parts of f a caller sees: the signatures of
// exported functions and methods, and exported types with their exported
// fields and methods (unexported fields are dropped).
func exportedAPI(f *ast.File) []ast.Node {
	var out []ast.Node
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() && (d.Recv == nil || exportedRecv(d.Recv)) {
				out = append(out, d.Type)
			}
		case *ast.GenDecl:
			if d.Tok != token.TYPE {
				continue
			}
			for _, s := range d.Specs {
				ts := s.(*ast.TypeSpec)
				if !ts.Name.IsExported() {
					continue
				}
				if st, ok := ts.Type.(*ast.StructType); ok {
					for _, fld := range st.Fields.List {
						if len(fld.Names) == 0 || fld.Names[0].IsExported() {
							out = append(out, fld.Type)
						}
					}
					continue
				}
				out = append(out, ts.Type)
			}
		}
	}
	return out
}

func exportedRecv(recv *ast.FieldList) bool {
	t := recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if g, ok := t.(*ast.IndexExpr); ok {
		t = g.X
	}
	id, ok := t.(*ast.Ident)
	return ok && id.IsExported()
}
