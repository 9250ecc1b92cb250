package parser

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/qapi-go/qapi/schema"
)

// includeTree is a small include tree used by the include tests.
var includeTree = fstest.MapFS{
	"top.json":         {Data: []byte("{ 'include': 'a/one.json' }\n{ 'include': 'a/../two.json' }\n{ 'struct': 'Top' }\n")},
	"a/one.json":       {Data: []byte("{ 'include': 'sub/three.json' }\n{ 'struct': 'One' }\n")},
	"a/sub/three.json": {Data: []byte("{ 'include': '../../two.json' }\n{ 'struct': 'Three' }\n")},
	"two.json":         {Data: []byte("\n{ 'struct': 'Two' }\n")},
	"loop.json":        {Data: []byte("{ 'include': 'l/a.json' }\n")},
	"l/a.json":         {Data: []byte("# comment\n{ 'include': 'b.json' }\n")},
	"l/b.json":         {Data: []byte("{ 'include': '../loop.json' }\n")},
	"self.json":        {Data: []byte("{ 'include': 'self.json' }\n")},
	"missing.json":     {Data: []byte("{ 'struct': 'X' }\n{ 'include': 'nope/x.json' }\n")},
	"dir.json":         {Data: []byte("{ 'include': 'a' }\n")},
	"escape.json":      {Data: []byte("{ 'include': '/etc/passwd' }\n")},
	"badinc.json":      {Data: []byte("{ 'include': 'a/bad.json' }\n")},
	"a/bad.json":       {Data: []byte("{ 'struct': 'One' }\n\n  { 'x' }\n")},
	"extra.json":       {Data: []byte("{ 'include': 'two.json', 'x': 'y' }\n")},
	"docinc.json":      {Data: []byte("##\n# @X:\n##\n{ 'include': 'two.json' }\n")},
}

func TestIncludes(t *testing.T) {
	tests := []struct {
		root string
		want string // expressions as "location: value", one per line
		err  string
	}{
		{root: "top.json", want: `top.json:1: {"include": "a/one.json"}
In file included from top.json:1:
a/one.json:1: {"include": "a/sub/three.json"}
In file included from top.json:1:
In file included from a/one.json:1:
a/sub/three.json:1: {"include": "a/sub/../../two.json"}
In file included from top.json:1:
In file included from a/one.json:1:
In file included from a/sub/three.json:1:
a/sub/../../two.json:2: {"struct": "Two"}
In file included from top.json:1:
In file included from a/one.json:1:
a/sub/three.json:2: {"struct": "Three"}
In file included from top.json:1:
a/one.json:2: {"struct": "One"}
top.json:2: {"include": "a/../two.json"}
top.json:3: {"struct": "Top"}
`},
		{root: "loop.json", err: "In file included from loop.json:1:\nIn file included from l/a.json:2:\nl/b.json:1: inclusion loop for ../loop.json"},
		{root: "self.json", err: "self.json:1: inclusion loop for self.json"},
		{root: "missing.json", err: "missing.json:2: can't read include file 'nope/x.json': No such file or directory"},
		{root: "escape.json", err: "escape.json:1: can't read include file '/etc/passwd': Invalid argument"},
		{root: "badinc.json", err: "In file included from badinc.json:1:\na/bad.json:3:9: expected ':'"},
		{root: "extra.json", err: "extra.json:1: invalid 'include' directive"},
		{root: "docinc.json", err: "docinc.json:1: documentation for 'X' is not followed by the definition"},
		{root: "absent.json", err: "can't read schema file 'absent.json': No such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			exprs, _, err := readSchemaFiles(includeTree, tt.root, &diag{})
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
				if _, ok := err.(*Error); !ok {
					t.Errorf("error is a %T", err)
				}
			}
			if diff := cmp.Diff(tt.err, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if tt.err != "" {
				return
			}
			var b strings.Builder
			for _, e := range exprs {
				fmt.Fprintf(&b, "%s: %s\n", e.Info, exprString(e.Data))
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("expressions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIncludesOS reads from the OS file system, where errors carry the
// system's messages and a directory cannot be read.
func TestIncludesOS(t *testing.T) {
	dir := t.TempDir()
	for name, f := range includeTree {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	tests := []struct{ root, err string }{
		{root: "top.json"},
		{root: "loop.json", err: "In file included from loop.json:1:\nIn file included from l/a.json:2:\nl/b.json:1: inclusion loop for ../loop.json"},
		{root: "./loop.json", err: "In file included from ./loop.json:1:\nIn file included from ./l/a.json:2:\n./l/b.json:1: inclusion loop for ../loop.json"},
		{root: "dir.json", err: "dir.json:1: can't read include file 'a': Is a directory"},
		{root: "missing.json", err: "missing.json:2: can't read include file 'nope/x.json': No such file or directory"},
		{root: "absent.json", err: "can't read schema file 'absent.json': No such file or directory"},
		{root: "a", err: "can't read schema file 'a': Is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			_, _, err := readSchemaFiles(nil, tt.root, &diag{})
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tt.err, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPyPaths(t *testing.T) {
	dirs := map[string]string{"a.json": "", "a/b.json": "a", "a//b": "a", "/x": "/", "//x": "//", "a/b/": "a/b", "": ""}
	for in, want := range dirs {
		if got := pyDirname(in); got != want {
			t.Errorf("pyDirname(%q) = %q, want %q", in, got, want)
		}
	}
	joins := [][3]string{{"", "x", "x"}, {"a", "x", "a/x"}, {"a/", "x", "a/x"}, {"a", "/x", "/x"}, {"a", "../x", "a/../x"}}
	for _, j := range joins {
		if got := pyJoin(j[0], j[1]); got != j[2] {
			t.Errorf("pyJoin(%q, %q) = %q, want %q", j[0], j[1], got, j[2])
		}
	}
}

// TestReadVendored reads the vendored QMP and QGA schemas from the
// embedded file system, in both modes: they are clean.
func TestReadVendored(t *testing.T) {
	for _, root := range []string{schema.QMPRoot, schema.QGARoot} {
		for _, mode := range []Mode{Strict, Lenient} {
			d := &diag{mode: mode}
			exprs, docs, err := readSchemaFiles(schema.Files, root, d)
			if err != nil {
				t.Fatalf("%s: %v", root, err)
			}
			if len(exprs) < 10 || len(docs) < 10 || len(d.warnings) != 0 {
				t.Errorf("%s mode %d: %d expressions, %d docs, %d warnings", root, mode, len(exprs), len(docs), len(d.warnings))
			}
		}
	}
}

// BenchmarkReadSchemaFiles measures stage 1 on the vendored QMP schema.
func BenchmarkReadSchemaFiles(b *testing.B) {
	for _, mode := range []Mode{Strict, Lenient} {
		b.Run(fmt.Sprintf("mode=%d", mode), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := readSchemaFiles(schema.Files, schema.QMPRoot, &diag{mode: mode}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
