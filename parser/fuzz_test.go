package parser

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
)

// exprString prints a value of the JSON dialect compactly, keys in order.
func exprString(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case bool:
		return fmt.Sprint(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = exprString(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *Object:
		parts := make([]string, len(v.Keys))
		for i, k := range v.Keys {
			parts[i] = fmt.Sprintf("%q: %s", k, exprString(v.Value(k)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf("<%T>", v)
}

// dumpRead prints what readSchemaFiles returned, for comparisons.
func dumpRead(exprs []*Expr, docs []*Doc) string {
	var b strings.Builder
	for _, e := range exprs {
		fmt.Fprintf(&b, "%s: %s", e.Info, exprString(e.Data))
		if e.Doc != nil {
			fmt.Fprintf(&b, " doc=%s", e.Doc.Symbol)
		}
		b.WriteString("\n")
	}
	b.WriteString(dumpDocs(docs))
	return b.String()
}

// FuzzReadSchema feeds arbitrary text to stage 1 as a root file (which
// may include "inc.json", "sub/inc.json" or itself) in both modes. Neither
// may panic or hang; every error must be an *Error; and lenient mode must
// accept everything strict mode accepts, with the same result and no
// warning.
func FuzzReadSchema(f *testing.F) {
	cases, _ := filepath.Glob("../testdata/qapi-schema/*.json")
	sort.Strings(cases)
	for _, c := range cases {
		data, err := os.ReadFile(c)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("##\n# @Foo:\n# Example:\n# -> x\n#\n# Note: y\n{ 'struct': 'Foo' }\n"))
	f.Add([]byte("{ 'include': 'sub/inc.json' }\n{ 'pragma': { 'returns-whitelist': [ 'a' ] } }\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{
			"root.json":    {Data: data},
			"inc.json":     {Data: []byte("##\n# @Inc:\n##\n{ 'struct': 'Inc' }\n{ 'include': 'sub/inc.json' }\n")},
			"sub/inc.json": {Data: []byte("{ 'pragma': { 'doc-required': true } }\n{ 'include': '../inc.json' }\n")},
		}
		strict := &diag{mode: Strict}
		se, sd, serr := readSchemaFiles(fsys, "root.json", strict)
		lenient := &diag{mode: Lenient}
		le, ld, lerr := readSchemaFiles(fsys, "root.json", lenient)
		for _, err := range []error{serr, lerr} {
			if err == nil {
				continue
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			_ = e.Error()
		}
		for _, w := range lenient.warnings {
			_ = w.Error()
		}
		if serr != nil {
			return
		}
		if len(strict.warnings) > 0 {
			t.Fatalf("strict mode warned: %v", strict.warnings[0])
		}
		if lerr != nil {
			t.Fatalf("strict accepts, lenient fails: %v", lerr)
		}
		if len(lenient.warnings) > 0 {
			t.Fatalf("strict accepts, lenient warns: %v", lenient.warnings[0])
		}
		if s, l := dumpRead(se, sd), dumpRead(le, ld); s != l {
			t.Fatalf("strict and lenient differ:\n%s\n---\n%s", s, l)
		}
	})
}
