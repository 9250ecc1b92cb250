package generator

import (
	"go/ast"
	doccomment "go/doc/comment"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
)

// declared collects what doc links may name in the package in dir:
// package-level identifiers, and Type.Method / Type.Field (promoted
// fields and methods of embedded types included) for its types.
func declared(t *testing.T, dir string) (names map[string]bool, files map[string]*ast.File, fset *token.FileSet) {
	t.Helper()
	names = map[string]bool{}
	files = map[string]*ast.File{}
	fset = token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("%s: no Go files: %v", dir, err)
	}
	structs := map[string]*ast.StructType{}
	methods := map[string][]string{}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files[path] = f
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					names[d.Name.Name] = true
					continue
				}
				r := recvName(d.Recv.List[0].Type)
				methods[r] = append(methods[r], d.Name.Name)
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						names[s.Name.Name] = true
						if st, ok := s.Type.(*ast.StructType); ok {
							structs[s.Name.Name] = st
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							names[n.Name] = true
						}
					}
				}
			}
		}
	}
	// Selectors of a type, following embedded types of the package.
	var sel func(typ string, seen map[string]bool) []string
	sel = func(typ string, seen map[string]bool) []string {
		if seen[typ] {
			return nil
		}
		seen[typ] = true
		out := append([]string(nil), methods[typ]...)
		if st := structs[typ]; st != nil {
			for _, f := range st.Fields.List {
				if len(f.Names) == 0 {
					e := recvName(f.Type)
					out = append(out, e)
					out = append(out, sel(e, seen)...)
					continue
				}
				for _, n := range f.Names {
					out = append(out, n.Name)
				}
			}
		}
		return out
	}
	for typ := range structs {
		for _, s := range sel(typ, map[string]bool{}) {
			names[typ+"."+s] = true
		}
	}
	for typ, ms := range methods {
		for _, m := range ms {
			names[typ+"."+m] = true
		}
	}
	return names, files, fset
}

// schemaBrackets are bracketed words the schema's own text has, which Go
// doc reads as (unresolved, so plain-text) links: not the generator's.
var schemaBrackets = map[string]bool{
	"TGMKkb": true, // net.json: "Understands [TGMKkb] suffixes."
}

// TestDocLinksResolve checks that every doc link ([Name], [Name.Field],
// [pkg.Name]) in the generated files of gen/qmp, gen/qga and
// internal/testgen and of their server packages names something the
// package (or the imported package) declares: go vet does not check
// links, and a broken one renders as plain "[Name]" text.
// TestReleasesCompile runs the same check over every release it
// generates.
func TestDocLinksResolve(t *testing.T) {
	for _, p := range []struct{ dir, server, importPath string }{
		{filepath.Join("..", "gen", "qmp"), "qmpserver", "github.com/qapi-go/qapi/gen/qmp"},
		{filepath.Join("..", "gen", "qga"), "qgaserver", "github.com/qapi-go/qapi/gen/qga"},
		{filepath.Join("internal", "testgen"), "testgenserver", "github.com/qapi-go/qapi/generator/internal/testgen"},
	} {
		checkDocLinks(t, p.dir, nil)
		checkDocLinks(t, filepath.Join(p.dir, p.server), map[string]string{p.importPath: p.dir})
	}
}

// CheckDocLinks is checkDocLinks for the external tests.
var CheckDocLinks = checkDocLinks

// checkDocLinks checks the doc links of the generated files in dir;
// links to a package of pkgDirs (import path -> directory) must name
// what that directory declares.
func checkDocLinks(t *testing.T, dir string, pkgDirs map[string]string) {
	t.Helper()
	runtimeNames, _, _ := declared(t, runtimeDir(t))
	pkgNames := map[string]map[string]bool{}
	for path, d := range pkgDirs {
		pkgNames[path], _, _ = declared(t, d)
	}
	names, files, fset := declared(t, dir)
	imports := map[string]string{}
	for _, f := range files {
		for _, im := range f.Imports {
			path := strings.Trim(im.Path.Value, `"`)
			name := path[strings.LastIndex(path, "/")+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			imports[name] = path
		}
	}
	// Every [X] and [X.Y] becomes a link (as does [pkg.X] for an
	// imported pkg), so that we see the ones that do not resolve.
	p := &doccomment.Parser{
		LookupPackage: func(name string) (string, bool) { path, ok := imports[name]; return path, ok },
		LookupSym:     func(recv, name string) bool { return true },
	}
	checked := 0
	for path, f := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !IsGenerated(src) {
			continue
		}
		for _, cg := range f.Comments {
			walkLinks(p.Parse(cg.Text()), func(l *doccomment.DocLink) {
				if l.Name == "" {
					return // "[]": text, never a link
				}
				checked++
				name := l.Name
				if l.Recv != "" {
					name = l.Recv + "." + l.Name
				}
				var ok bool
				switch l.ImportPath {
				case "":
					ok = names[name] || schemaBrackets[name]
				case DefaultRuntimeImport:
					ok = runtimeNames[name]
				default:
					if names, module := pkgNames[l.ImportPath]; module {
						ok = names[name]
					} else {
						ok = true // the standard library's
					}
				}
				if !ok {
					pkg := ""
					if l.ImportPath != "" {
						pkg = l.ImportPath + "."
					}
					t.Errorf("%s: doc link [%s%s] does not resolve", fset.Position(cg.Pos()), pkg, name)
				}
			})
		}
	}
	if checked == 0 && !strings.Contains(dir, "golden_") {
		t.Errorf("%s: no doc links found", dir)
	}
}

// runtimeDir is the directory of package runtime.
func runtimeDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := goruntime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "runtime")
}

func walkLinks(d *doccomment.Doc, fn func(*doccomment.DocLink)) {
	var text func([]doccomment.Text)
	text = func(ts []doccomment.Text) {
		for _, x := range ts {
			switch x := x.(type) {
			case *doccomment.DocLink:
				fn(x)
			case *doccomment.Link:
				text(x.Text)
			case *doccomment.Italic, doccomment.Plain:
			}
		}
	}
	var block func(doccomment.Block)
	block = func(b doccomment.Block) {
		switch b := b.(type) {
		case *doccomment.Paragraph:
			text(b.Text)
		case *doccomment.Heading:
			text(b.Text)
		case *doccomment.List:
			for _, it := range b.Items {
				for _, c := range it.Content {
					block(c)
				}
			}
		}
	}
	for _, b := range d.Content {
		block(b)
	}
}
