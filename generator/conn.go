package generator

import (
	"embed"
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/qapi-go/qapi/parser"
)

// The connection layer: Conn, Dial, New, Accept, the typed events of
// QMP, the runtime's errors and options under the package's own name.
// It is the same Go in every package of a protocol, so it is written as
// Go source (connlayer/*.go.tmpl) that the generator emits verbatim,
// with the package clause and the runtime's import path filled in. It is
// compiled, vetted and tested as part of gen/qmp and gen/qga, and in
// every package the generator's tests build.

// Protocol is the protocol a schema describes; it decides the connection
// layer a package gets.
type Protocol int

const (
	// DetectProtocol asks Generate to tell the protocol from the schema
	// (see [Detect]).
	DetectProtocol Protocol = iota
	// QMP is QEMU's monitor protocol: greeting, capabilities, events.
	QMP
	// QGA is the guest agent protocol: no greeting, 0xFF resync, no events.
	QGA
)

func (p Protocol) String() string {
	switch p {
	case QMP:
		return "qmp"
	case QGA:
		return "qga"
	}
	return "detect"
}

// ParseProtocol parses "qmp" or "qga".
func ParseProtocol(s string) (Protocol, error) {
	switch s {
	case "qmp":
		return QMP, nil
	case "qga":
		return QGA, nil
	}
	return DetectProtocol, fmt.Errorf("unknown protocol %q: want qmp or qga", s)
}

// Detect tells the protocol of a whole schema: QGA when it has the guest
// agent's synchronisation command (guest-sync-delimited or guest-sync),
// QMP otherwise. Detect a schema before subsetting it: a subset may
// have left the telling command out.
func Detect(s *parser.Schema) Protocol {
	for _, name := range []string{"guest-sync-delimited", "guest-sync"} {
		if _, ok := s.Lookup(name).(*parser.Command); ok {
			return QGA
		}
	}
	return QMP
}

//go:embed connlayer/*.go.tmpl
var connTemplates embed.FS

// connFile is one file of the connection layer.
type connFile struct {
	name string // output file name
	tmpl string // template in connlayer/
}

// ConnFiles are the names of the connection layer's files, which
// Generate writes beside CommonFile (the QGA layer has no events file).
var ConnFiles = []string{"qapi_conn.go", "qapi_events.go", "qapi_runtime.go"}

func connFiles(p Protocol) []connFile {
	if p == QGA {
		return []connFile{{"qapi_conn.go", "qga_conn.go.tmpl"}, {"qapi_runtime.go", "runtime.go.tmpl"}}
	}
	return []connFile{{"qapi_conn.go", "qmp_conn.go.tmpl"}, {"qapi_events.go", "qmp_events.go.tmpl"}, {"qapi_runtime.go", "runtime.go.tmpl"}}
}

// connDecls are the names a protocol's connection layer declares: at
// package level (unexported ones included: a hand-written file may not
// take them either) and as methods or fields of Conn.
type connDecls struct {
	pkg  map[string]string // name -> file
	conn map[string]string // Conn method or field -> file
}

var connDeclsOf = sync.OnceValue(func() map[Protocol]*connDecls {
	m := map[Protocol]*connDecls{}
	for _, p := range []Protocol{QMP, QGA} {
		d := &connDecls{pkg: map[string]string{}, conn: map[string]string{}}
		for _, cf := range connFiles(p) {
			src, err := connTemplates.ReadFile("connlayer/" + cf.tmpl)
			if err != nil {
				panic(err) // embedded: cannot happen
			}
			f, err := goparser.ParseFile(token.NewFileSet(), cf.tmpl, src, goparser.SkipObjectResolution)
			if err != nil {
				panic(err) // embedded and tested: cannot happen
			}
			for _, decl := range Declarations(f) {
				if decl.Recv == "" {
					d.pkg[decl.Name] = cf.name
				} else if decl.Recv == "Conn" {
					d.conn[decl.Name] = cf.name
				}
			}
		}
		m[p] = d
	}
	return m
})

// Declared is a name a hand-written Go file beside the generated ones
// declares, which no generated name may take (see Config.HandWritten).
type Declared struct {
	// Name is the declared identifier.
	Name string
	// Recv is the receiver's type name for a method ("Conn"), the struct
	// type's name for one of its fields, "" for a package-level name.
	Recv string
	// Pos is where it is declared, "file.go:12:6", for error messages.
	Pos string
}

// Declarations lists what a parsed Go file declares: package-level
// names (init excepted), methods (Recv their receiver's type) and the
// fields of its struct types (Recv the struct's name). Pos is left
// empty; DeclarationsAt fills it.
func Declarations(f *ast.File) []Declared { return DeclarationsAt(nil, f) }

// DeclarationsAt is Declarations with positions taken from fset, the
// file set f was parsed with.
func DeclarationsAt(fset *token.FileSet, f *ast.File) []Declared {
	var out []Declared
	pos := func(p token.Pos) string {
		if fset == nil {
			return ""
		}
		return fset.Position(p).String()
	}
	add := func(id *ast.Ident, recv string) {
		if id != nil && id.Name != "_" {
			out = append(out, Declared{Name: id.Name, Recv: recv, Pos: pos(id.Pos())})
		}
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil || len(d.Recv.List) == 0 {
				if d.Name.Name != "init" {
					add(d.Name, "")
				}
				continue
			}
			add(d.Name, recvName(d.Recv.List[0].Type))
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					add(s.Name, "")
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, fld := range st.Fields.List {
							for _, n := range fld.Names {
								add(n, s.Name.Name)
							}
							if len(fld.Names) == 0 {
								if n := recvName(fld.Type); n != "" {
									out = append(out, Declared{Name: n, Recv: s.Name.Name, Pos: pos(fld.Pos())})
								}
							}
						}
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						add(n, "")
					}
				}
			}
		}
	}
	return out
}

// recvName is the type name of a receiver or embedded field: T, *T,
// T[P], *pkg.T.
func recvName(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.SelectorExpr:
			return t.Sel.Name
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}

// connLayer renders the connection layer's files.
func (g *gen) connLayer() ([]File, error) {
	var out []File
	for _, cf := range connFiles(g.protocol) {
		src, err := connTemplates.ReadFile("connlayer/" + cf.tmpl)
		if err != nil {
			return nil, err
		}
		s := string(src)
		body, ok := strings.CutPrefix(s, "package PACKAGE\n")
		if !ok {
			return nil, fmt.Errorf("generator: template %s does not start with its package clause", cf.tmpl)
		}
		if g.cfg.RuntimeImport != DefaultRuntimeImport {
			body = strings.ReplaceAll(body, strconv.Quote(DefaultRuntimeImport), strconv.Quote(g.cfg.RuntimeImport))
		}
		out = append(out, File{Name: cf.name, Content: []byte(g.header() + "\npackage " + g.cfg.Package + "\n" + body)})
	}
	return out, nil
}

// claimConnLayer claims the connection layer's names: package-level ones
// in pkg, Conn's methods in conn.
func (n *names) claimConnLayer(p Protocol, conn map[string]origin) {
	d := connDeclsOf()[p]
	for _, name := range sortedKeys(d.pkg) {
		if _, ok := n.pkg[name]; !ok {
			n.pkg[name] = origin{what: "the connection layer the generator writes in " + d.pkg[name]}
		}
	}
	for _, name := range sortedKeys(d.conn) {
		conn[name] = origin{what: "a method of the connection layer the generator writes in " + d.conn[name]}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
