package parser

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestPragmas(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		mode     Mode
		want     Pragma
		err      string
		warnings []string
	}{
		{name: "all", in: `{ 'pragma': { 'doc-required': true, 'command-name-exceptions': [ 'a_b' ] } }
{ 'pragma': { 'command-returns-exceptions': [ 'c' ], 'documentation-exceptions': [ 'D' ],
  'member-name-exceptions': [ 'E', 'F' ] } }
{ 'pragma': { 'command-name-exceptions': [ 'x_y' ] } }`,
			want: Pragma{DocRequired: true, CommandNameExceptions: []string{"x_y"},
				CommandReturnsExceptions: []string{"c"}, DocumentationExceptions: []string{"D"},
				MemberNameExceptions: []string{"E", "F"}}},
		{name: "empty", in: "{ 'pragma': {} }"},
		{name: "not an object", in: "{ 'pragma': [ 'x' ] }", err: "t.json:1: value of 'pragma' must be an object"},
		{name: "extra key", in: "{ 'pragma': {}, 'x': 'y' }", err: "t.json:1: invalid 'pragma' directive"},
		{name: "doc-required not bool", in: "{ 'pragma': { 'doc-required': 'yes' } }", err: "t.json:1: pragma 'doc-required' must be boolean"},
		{name: "list not list", in: "{ 'pragma': { 'member-name-exceptions': 'x' } }", err: "t.json:1: pragma member-name-exceptions must be a list of strings"},
		{name: "list of non-strings", in: "{ 'pragma': { 'documentation-exceptions': [ 'x', [] ] } }", err: "t.json:1: pragma documentation-exceptions must be a list of strings"},
		{name: "unknown", in: "{ 'pragma': { 'doc-required': true, 'nope': true } }", err: "t.json:1: unknown pragma 'nope'"},
		{name: "legacy strict", in: "{ 'pragma': { 'returns-whitelist': [ 'a' ] } }", err: "t.json:1: unknown pragma 'returns-whitelist'"},
		{name: "legacy lenient", mode: Lenient,
			in:   "{ 'pragma': { 'returns-whitelist': [ 'a' ] } }\n{ 'pragma': { 'name-case-whitelist': [ 'B' ] } }",
			want: Pragma{CommandReturnsExceptions: []string{"a"}, MemberNameExceptions: []string{"B"}},
			warnings: []string{
				"t.json:1: legacy pragma 'returns-whitelist' taken as 'command-returns-exceptions'",
				"t.json:2: legacy pragma 'name-case-whitelist' taken as 'member-name-exceptions'",
			}},
		{name: "legacy lenient checked", mode: Lenient, in: "{ 'pragma': { 'returns-whitelist': true } }",
			err: "t.json:1: pragma command-returns-exceptions must be a list of strings"},
		{name: "unknown lenient", mode: Lenient, in: "{ 'pragma': { 'nope': true } }", err: "t.json:1: unknown pragma 'nope'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &diag{mode: tt.mode}
			fsys := fstest.MapFS{"t.json": {Data: []byte(tt.in + "\n{ 'struct': 'S' }\n")}}
			exprs, _, err := readSchemaFiles(fsys, "t.json", d)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tt.err, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if tt.err != "" {
				return
			}
			if diff := cmp.Diff(tt.want, *exprs[len(exprs)-1].Info.Pragma, cmpEmpty); diff != "" {
				t.Errorf("pragma (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, errorStrings(d.warnings)); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPragmaShared checks that one Pragma serves the whole include tree:
// a pragma in an included file applies to the includer and vice versa.
func TestPragmaShared(t *testing.T) {
	fsys := fstest.MapFS{
		"root.json":    {Data: []byte("{ 'struct': 'A' }\n{ 'include': 'sub/inc.json' }\n{ 'pragma': { 'documentation-exceptions': [ 'A' ] } }\n")},
		"sub/inc.json": {Data: []byte("{ 'pragma': { 'doc-required': true } }\n{ 'struct': 'B' }\n")},
	}
	exprs, _, err := readSchemaFiles(fsys, "root.json", &diag{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Pragma{DocRequired: true, DocumentationExceptions: []string{"A"}}
	for _, e := range exprs {
		if e.Info.Pragma != exprs[0].Info.Pragma {
			t.Errorf("%s: pragma not shared", e.Info)
		}
	}
	if diff := cmp.Diff(want, exprs[0].Info.Pragma); diff != "" {
		t.Errorf("pragma (-want +got):\n%s", diff)
	}
}

var cmpEmpty = cmp.Transformer("nilEmpty", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})

func errorStrings(errs []*Error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}
