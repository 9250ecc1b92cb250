package generator

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	qapiparser "github.com/qapi-go/qapi/parser"
)

// TestReservedCoverHandWritten checks that the reserved lists cover the
// hand-written files of gen/qmp and gen/qga: every exported package-level
// name they declare (test files of the package included) is reserved, and
// so is every method they declare on Client and every method and field of
// Conn, which embeds *Client. A name missing here would let a future
// schema definition or command break the package's build instead of
// failing generation.
func TestReservedCoverHandWritten(t *testing.T) {
	names := append(slices.Clone(generatorNames), handWrittenNames...)
	methods := append(slices.Clone(generatorMethods), handWrittenMethods...)
	for _, pkg := range []string{"qmp", "qga"} {
		dir := filepath.Join("..", "gen", pkg)
		paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("%s: no Go files: %v", dir, err)
		}
		fset := token.NewFileSet()
		for _, path := range paths {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if IsGenerated(src) {
				continue
			}
			f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			if f.Name.Name != pkg {
				continue // external test package
			}
			need := func(list []string, name, what string) {
				if ast.IsExported(name) && !slices.Contains(list, name) {
					t.Errorf("%s: %s %s is not in the generator's reserved list (names.go)", path, what, name)
				}
			}
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Recv == nil {
						if strings.HasSuffix(path, "_test.go") && isTestFunc(d.Name.Name) {
							continue
						}
						need(names, d.Name.Name, "function")
						continue
					}
					switch recvName(d.Recv.List[0].Type) {
					case "Client", "Conn":
						need(methods, d.Name.Name, "method")
					}
				case *ast.GenDecl:
					for _, sp := range d.Specs {
						switch sp := sp.(type) {
						case *ast.TypeSpec:
							need(names, sp.Name.Name, "type")
							if st, ok := sp.Type.(*ast.StructType); ok && sp.Name.Name == "Conn" {
								for _, fl := range st.Fields.List {
									for _, n := range fl.Names {
										need(methods, n.Name, "Conn field")
									}
									if len(fl.Names) == 0 {
										need(methods, strings.TrimPrefix(exprString(fl.Type), "*"), "Conn embedded field")
									}
								}
							}
						case *ast.ValueSpec:
							for _, n := range sp.Names {
								need(names, n.Name, "name")
							}
						}
					}
				}
			}
		}
	}
}

func recvName(e ast.Expr) string {
	return strings.TrimPrefix(exprString(e), "*")
}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return "*" + exprString(e.X)
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.IndexExpr:
		return exprString(e.X)
	case *ast.IndexListExpr:
		return exprString(e.X)
	}
	return ""
}

func isTestFunc(name string) bool {
	for _, p := range []string{"Test", "Benchmark", "Fuzz", "Example"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func TestConfigReserved(t *testing.T) {
	s, err := qapiparser.Parse("schema.json", qapiparser.Options{FS: fstest.MapFS{
		"schema.json": {Data: []byte(`{ 'struct': 'Helper', 'data': { 'x': 'int' } }
{ 'command': 'shutdown-now' }`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(s, Config{Package: "p"}); err != nil {
		t.Fatal(err)
	}
	_, err = Generate(s, Config{Package: "p", ReservedNames: []string{"Helper"}, ReservedMethods: []string{"ShutdownNow"}})
	if err == nil || !strings.Contains(err.Error(), "Go name Helper clashes with name Helper reserved for hand-written code") ||
		!strings.Contains(err.Error(), "Go name Client.ShutdownNow clashes with method name ShutdownNow reserved") {
		t.Errorf("Generate with reserved names: %v", err)
	}
}
