package parser

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.dump from our own output (review the diff!)")

// TestFullSchemas holds the full QMP and QGA schemas of the vendored
// release to the reference: they parse in strict mode and dump exactly
// as QEMU's test-qapi.py dumps them. The golden files were produced by
// running the reference (../shared/tools/qapi-oracle qapi/qapi-schema.json
// and qga/qapi-schema.json, run in schema/); -update rewrites them from
// our output.
func TestFullSchemas(t *testing.T) {
	for _, tc := range []struct{ file, golden string }{
		{"../schema/qapi/qapi-schema.json", "../testdata/golden/qmp-10.2.2.dump"},
		{"../schema/qga/qapi-schema.json", "../testdata/golden/qga-10.2.2.dump"},
	} {
		t.Run(filepath.Base(tc.golden), func(t *testing.T) {
			s, err := Parse(tc.file, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Warnings) != 0 {
				t.Errorf("strict mode collected %d warnings", len(s.Warnings))
			}
			var buf bytes.Buffer
			Dump(&buf, s)
			if *update {
				if err := os.WriteFile(tc.golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(tc.golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("dump mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFullSchemaIR spot-checks what the dump does not show.
func TestFullSchemaIR(t *testing.T) {
	s, err := Parse("../schema/qapi/qapi-schema.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.Modules); got != 47 { // ./builtin + 46 files
		t.Errorf("%d modules, want 47", got)
	}
	for _, def := range s.Defs {
		c := def.Common()
		if c.Module == nil {
			t.Fatalf("%s has no module", c.Name)
		}
		if s.Lookup(c.Name) != def {
			t.Errorf("Lookup(%q) does not find it", c.Name)
		}
		switch d := def.(type) {
		case *ObjectType:
			for _, m := range d.Members {
				if m.Type == nil {
					t.Errorf("%s.%s: unresolved type", d.Name, m.Name)
				}
			}
			if d.Branches != nil {
				if d.Branches.Tag == nil {
					t.Errorf("%s: no tag", d.Name)
				}
				for _, v := range d.Branches.Variants {
					if _, ok := v.Type.(*ObjectType); !ok {
						t.Errorf("%s: branch %s is %T", d.Name, v.Name, v.Type)
					}
					if v.Value == nil || v.Value.Name != v.Name || !slices.Contains(d.Branches.Tag.Type.(*EnumType).Members, v.Value) {
						t.Errorf("%s: branch %s has value %v, not the tag's enum member", d.Name, v.Name, v.Value)
					}
				}
			}
			// Implicit object types and their owners point at each other.
			var implicitOf *ObjectType
			switch o := d.Owner.(type) {
			case nil:
			case *Command:
				implicitOf = o.Arg
			case *Event:
				implicitOf = o.Arg
			case *ObjectType:
				implicitOf = o.Base
			}
			if wantOwner := strings.HasPrefix(d.Name, "q_obj_"); wantOwner != (d.Owner != nil) || d.Owner != nil && implicitOf != d {
				t.Errorf("%s: owner %v does not refer to it", d.Name, d.Owner)
			}
		case *Command:
			if d.Arg != nil && d.Arg.IsImplicit() && d.Arg.Owner != d {
				t.Errorf("%s: implicit arguments %s owned by %v", d.Name, d.Arg.Name, d.Arg.Owner)
			}
		case *Event:
			if d.Arg != nil && d.Arg.IsImplicit() && d.Arg.Owner != d {
				t.Errorf("%s: implicit data %s owned by %v", d.Name, d.Arg.Name, d.Arg.Owner)
			}
		case *AlternateType:
			for _, v := range d.Alternatives.Variants {
				if v.Value != nil {
					t.Errorf("%s: alternative %s has a discriminator value", d.Name, v.Name)
				}
			}
		}
	}
	qmp := s.LookupType("BlockdevOptions").(*ObjectType)
	if !qmp.IsUnion() || qmp.Base == nil || !qmp.Base.IsImplicit() || qmp.Branches.Tag.Name != "driver" {
		t.Errorf("BlockdevOptions: unexpected shape %+v", qmp)
	}
	if got := s.Features[0].Name + "," + s.Features[1].Name; got != "deprecated,unstable" {
		t.Errorf("first features %s", got)
	}
	if len(s.Docs) == 0 || s.Lookup("query-status").Common().Doc == nil {
		t.Errorf("docs not bound")
	}
}

// TestLenientSchemas: the schemas of older releases (and the 5.0-era QGA
// schema) parse in lenient mode with warnings only; the first three do
// not parse in strict mode.
func TestLenientSchemas(t *testing.T) {
	for _, tc := range []struct {
		file         string
		strictFails  bool
		wantWarnings bool
	}{
		{"../testdata/schemas/qemu-7.2.0/qapi/qapi-schema.json", true, true},
		{"../testdata/schemas/qemu-7.2.0/qga/qapi-schema.json", true, true},
		{"../testdata/schemas/qemu-10.0.13/qapi/qapi-schema.json", true, true},
		{"../testdata/schemas/qemu-10.0.13/qga/qapi-schema.json", true, true},
		{"../testdata/schemas/qga-5.0/qapi-schema.json", true, true},
	} {
		t.Run(strings.TrimPrefix(tc.file, "../testdata/schemas/"), func(t *testing.T) {
			s, err := Parse(tc.file, Options{Mode: Lenient})
			if err != nil {
				t.Fatalf("lenient: %v", err)
			}
			t.Logf("%d warnings", len(s.Warnings))
			if tc.wantWarnings && len(s.Warnings) == 0 {
				t.Errorf("no warnings")
			}
			if _, err := Parse(tc.file, Options{}); (err != nil) != tc.strictFails {
				t.Errorf("strict: error %v, want failure %v", err, tc.strictFails)
			}
			var buf bytes.Buffer
			Dump(&buf, s)
			if buf.Len() == 0 {
				t.Errorf("empty dump")
			}
		})
	}
}

// parseString parses the single-file schema src (named t.json) in mode.
func parseString(src string, mode Mode) (*Schema, error) {
	fsys := fstest.MapFS{"t.json": {Data: []byte(src)}}
	return Parse("t.json", Options{Mode: mode, FS: fsys})
}

func dumpString(s *Schema) string {
	var buf bytes.Buffer
	Dump(&buf, s)
	return buf.String()
}

// TestParseErrors covers what the corpus does not: the inputs on which
// the reference crashes, and a few rules at their edges.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"empty enum value", `{ 'enum': 'Enu', 'data': [ '' ] }`,
			"t.json: In enum 'Enu':\nt.json:1: 'data' member '' has an invalid name"},
		{"empty discriminator", `{ 'enum': 'Enu', 'data': [ 'a' ] }
{ 'struct': 'Base', 'data': { 'e': 'Enu' } }
{ 'union': 'Uni', 'base': 'Base', 'discriminator': '', 'data': {} }`,
			"t.json: In union 'Uni':\nt.json:3: discriminator '' is not a member of 'base'"},
		{"array of array", `{ 'struct': 'Str', 'data': { 'a': [ 'intList' ] } }`,
			"t.json: In struct 'Str':\nt.json:1: struct uses array type 'intList' as an array element; arrays of arrays are not supported"},
		{"array of array returns", `{ 'command': 'c', 'returns': [ 'intList' ] }`,
			"t.json: In command 'c':\nt.json:1: command uses array type 'intList' as an array element; arrays of arrays are not supported"},
		{"x- alone is a name", `{ 'command': 'x-' }`, ""},
		{"vendor prefix needs a stem", `{ 'command': '__org.qemu_' }`,
			"t.json: In command '__org.qemu_':\nt.json:1: command has an invalid name"},
		{"q_ reserved", `{ 'struct': 'Foo', 'data': { 'q-bar': 'int' } }`,
			"t.json: In struct 'Foo':\nt.json:1: 'data' member 'q-bar' has an invalid name"},
		{"has_ reserved", `{ 'struct': 'Foo', 'data': { '*has-bar': 'int' } }`,
			"t.json: In struct 'Foo':\nt.json:1: 'data' member '*has-bar' uses reserved name"},
		{"nested if", `{ 'struct': 'Foo', 'data': {}, 'if': { 'all': [ 'A', { 'not': { 'any': [] } } ] } }`,
			"t.json: In struct 'Foo':\nt.json:1: 'if' condition [] of struct is useless"},
		// The reference iterates a Python set here and names 'a' or 'b'
		// at random; we name the earliest conflicting alternative.
		{"alternate conflict names the first", `{ 'alternate': 'Alt', 'data': { 'a': 'int', 'b': 'bool', 'c': 'str' } }`,
			"t.json: In alternate 'Alt':\nt.json:1: branch 'c' can't be distinguished from 'a'"},
		{"feature limit", featureLimitSchema(63),
			"t.json: In struct 'Str62':\nt.json:63: Maximum of 64 schema features is permitted"},
		{"feature limit ok", featureLimitSchema(62), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseString(tc.src, Strict)
			got := ""
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Errorf("error is %T, want *Error", err)
				}
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func featureLimitSchema(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		// 'deprecated' and 'unstable' always count, so 62 more fit.
		b.WriteString("{ 'struct': 'Str" + itoa(i) + "', 'data': {}, 'features': [ 'f" + itoa(i) + "' ] }\n")
	}
	return b.String()
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestDumpIf(t *testing.T) {
	s, err := parseString(`{ 'struct': 'Foo', 'data': { 'a': { 'type': 'int', 'if': { 'not': 'CONFIG_B' } } },
  'if': { 'all': [ 'CONFIG_A', { 'any': [ 'CONFIG_B', 'CONFIG_C' ] } ] } }`, Strict)
	if err != nil {
		t.Fatal(err)
	}
	want := `module ./builtin
object q_empty
enum QType
    member none
    member qnull
    member qnum
    member qstring
    member qdict
    member qlist
    member qbool
module t.json
object Foo
    member a: int optional=False
        if {'not': 'CONFIG_B'}
    if {'all': ['CONFIG_A', {'any': ['CONFIG_B', 'CONFIG_C']}]}
`
	if diff := cmp.Diff(want, dumpString(s)); diff != "" {
		t.Errorf("dump mismatch (-want +got):\n%s", diff)
	}
	c := s.Lookup("Foo").Common().If
	if got, want := c.C(), "defined(CONFIG_A) && (defined(CONFIG_B) || defined(CONFIG_C))"; got != want {
		t.Errorf("C() = %q, want %q", got, want)
	}
	if got, want := c.Text(), "CONFIG_A and (CONFIG_B or CONFIG_C)"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}

// TestLenientNames: member names breaking the naming style are warnings
// in lenient mode and errors in strict mode; other naming rules stay
// errors in both.
func TestLenientNames(t *testing.T) {
	for _, tc := range []struct {
		name, src       string
		strict, lenient string // errors; "" none
		warnings        int
	}{
		{"member underscore", `{ 'struct': 'Foo', 'data': { 'supported_commands': 'int' } }`,
			"t.json: In struct 'Foo':\nt.json:1: name of 'data' member 'supported_commands' must not use uppercase or '_'", "", 1},
		{"enum value upper", `{ 'enum': 'Enu', 'data': [ 'Foo' ] }`,
			"t.json: In enum 'Enu':\nt.json:1: name of 'data' member 'Foo' must not use uppercase or '_'", "", 1},
		{"alternative upper", `{ 'alternate': 'Alt', 'data': { 'Foo': 'int' } }`,
			"t.json: In alternate 'Alt':\nt.json:1: name of 'data' member 'Foo' must not use uppercase or '_'", "", 1},
		{"command underscore stays strict", `{ 'command': 'foo_bar' }`,
			"t.json: In command 'foo_bar':\nt.json:1: name of command must not use uppercase or '_'",
			"t.json: In command 'foo_bar':\nt.json:1: name of command must not use uppercase or '_'", 0},
		{"invalid member name stays strict", `{ 'struct': 'Foo', 'data': { 'a$': 'int' } }`,
			"t.json: In struct 'Foo':\nt.json:1: 'data' member 'a$' has an invalid name",
			"t.json: In struct 'Foo':\nt.json:1: 'data' member 'a$' has an invalid name", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []Mode{Strict, Lenient} {
				want := tc.strict
				if mode == Lenient {
					want = tc.lenient
				}
				s, err := parseString(tc.src, mode)
				got := ""
				if err != nil {
					got = err.Error()
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("mode %d: error mismatch (-want +got):\n%s", mode, diff)
				}
				if mode == Lenient && err == nil && len(s.Warnings) != tc.warnings {
					t.Errorf("%d warnings, want %d", len(s.Warnings), tc.warnings)
				}
			}
		})
	}
}

func TestCName(t *testing.T) {
	for _, tc := range []struct {
		in      string
		protect bool
		want    string
	}{
		{"__a.b_c", true, "__a_b_c"},
		{"x-foo", true, "x_foo"},
		{"int", true, "q_int"},
		{"int", false, "int"},
		{"1a", true, "q_1a"},
		{"linux", true, "q_linux"},
		{"", true, ""},
	} {
		if got := CName(tc.in, tc.protect); got != tc.want {
			t.Errorf("CName(%q, %v) = %q, want %q", tc.in, tc.protect, got, tc.want)
		}
	}
}

func TestNameStem(t *testing.T) {
	for _, tc := range []struct {
		in, stem string
		ok       bool
	}{
		{"foo", "foo", true},
		{"x-foo", "foo", true},
		{"X-foo", "foo", true},
		{"x-", "x-", true},
		{"x-1", "x-1", true},
		{"__org.qemu_x-foo", "foo", true},
		{"__org.qemu_foo-bar", "foo-bar", true},
		{"__org", "", false},
		{"__", "", false},
		{"___a", "", false},
		{"1a", "", false},
		{"a.b", "", false},
		{"", "", false},
	} {
		stem, ok := nameStem(tc.in)
		if stem != tc.stem || ok != tc.ok {
			t.Errorf("nameStem(%q) = %q, %v; want %q, %v", tc.in, stem, ok, tc.stem, tc.ok)
		}
	}
}

func TestCNamePredicates(t *testing.T) {
	for _, name := range []string{"u", "U", "has", "has_", "has-x", "has.x", "hasx", "q", "q_", "q-a", "qa", "Q_a", "x", "", "q.", "has__"} {
		c := CName(name, false)
		if got, want := cNameHasPrefixQ(name), strings.HasPrefix(c, "q_"); got != want {
			t.Errorf("cNameHasPrefixQ(%q) = %v, want %v", name, got, want)
		}
		if got, want := cNameReserved(name), c == "u" || strings.HasPrefix(c, "has_"); got != want {
			t.Errorf("cNameReserved(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestLenientDocs: documentation problems found while checking
// definitions are errors in strict mode, warnings in lenient mode.
func TestLenientDocs(t *testing.T) {
	for _, tc := range []struct {
		name, src, strict string
		warnings          int
	}{
		{"wrong symbol", "##\n# @Bar:\n##\n{ 'struct': 'Foo', 'data': {} }",
			"t.json: In struct 'Foo':\nt.json:4: documentation comment is for 'Bar'", 1},
		{"doc required", "{ 'pragma': { 'doc-required': true } }\n{ 'struct': 'Foo', 'data': {} }",
			"t.json: In struct 'Foo':\nt.json:2: documentation comment required", 1},
		{"undocumented member", "##\n# @Foo:\n##\n{ 'struct': 'Foo', 'data': { 'a': 'int' } }",
			"t.json: In struct 'Foo':\nt.json:4: member 'a' lacks documentation", 1},
		{"undocumented feature", "##\n# @foo:\n##\n{ 'command': 'foo', 'features': [ 'f' ] }",
			"t.json: In command 'foo':\nt.json:4: feature 'f' lacks documentation", 1},
		{"bogus member", "##\n# @Foo:\n#\n# @a: x\n##\n{ 'struct': 'Foo', 'data': {} }",
			"t.json:4: documented member 'a' does not exist", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseString(tc.src, Strict)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.strict, got); diff != "" {
				t.Errorf("strict error mismatch (-want +got):\n%s", diff)
			}
			s, err := parseString(tc.src, Lenient)
			if err != nil {
				t.Fatalf("lenient: %v", err)
			}
			if len(s.Warnings) != tc.warnings {
				t.Errorf("%d warnings, want %d: %v", len(s.Warnings), tc.warnings, s.Warnings)
			} else if tc.warnings > 0 && s.Warnings[0].Error() != tc.strict {
				t.Errorf("warning %q, want %q", s.Warnings[0].Error(), tc.strict)
			}
		})
	}
}

// TestNestedUnionsLinear: a union whose branches are unions whose branches
// are unions... has exponentially many paths; the clash check must not
// walk them all (the reference does, and takes minutes at depth 25).
func TestNestedUnionsLinear(t *testing.T) {
	const depth = 60
	var b strings.Builder
	b.WriteString("{ 'enum': 'Enu', 'data': [ 'a', 'b' ] }\n")
	for k := 0; k < depth; k++ {
		fmt.Fprintf(&b, "{ 'union': 'Uni%d', 'base': { 'k%d': 'Enu' }, 'discriminator': 'k%d', 'data': { 'a': 'Uni%d', 'b': 'Uni%d' } }\n", k, k, k, k+1, k+1)
	}
	fmt.Fprintf(&b, "{ 'struct': 'Uni%d', 'data': { 'z': 'int' } }\n", depth)
	if _, err := parseString(b.String(), Strict); err != nil {
		t.Fatal(err)
	}
	// A clash at the bottom is still found, and named as the reference
	// names it.
	fmt.Fprintf(&b, "{ 'struct': 'Bottom', 'base': 'Uni%d', 'data': { 'k3': 'int' } }\n", depth)
	src := strings.Replace(b.String(), fmt.Sprintf("'b': 'Uni%d' }", depth-1), "'b': 'Bottom' }", 1)
	_, err := parseString(src, Strict)
	want := "t.json: In union 'Uni3':\nt.json:5: member 'k3' of type 'Bottom' collides with base member 'k3'"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestBaseChainLinear: a long chain of bases, each adding a member, must
// not cost quadratic time or memory, and each type still lists all its
// members, base first.
func TestBaseChainLinear(t *testing.T) {
	const n = 3000
	var b strings.Builder
	b.WriteString("{ 'struct': 'Sx0', 'data': { 'm0': 'int' } }\n")
	for k := 1; k < n; k++ {
		fmt.Fprintf(&b, "{ 'struct': 'Sx%d', 'base': 'Sx%d', 'data': { 'm%d': 'int' } }\n", k, k-1, k)
	}
	// A second type derived from a base in the middle copies.
	b.WriteString("{ 'struct': 'Other', 'base': 'Sx10', 'data': { 'o': 'int' } }\n")
	s, err := parseString(b.String(), Strict)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Sx0", "Sx10", "Sx11", "Other", fmt.Sprintf("Sx%d", n-1)} {
		o := s.LookupType(name).(*ObjectType)
		var got []string
		for _, m := range o.Members {
			got = append(got, m.Name)
		}
		var want []string
		last := 10
		if name != "Other" {
			fmt.Sscanf(name, "Sx%d", &last)
		}
		for k := 0; k <= last; k++ {
			want = append(want, fmt.Sprintf("m%d", k))
		}
		if name == "Other" {
			want = append(want, "o")
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s members (-want +got):\n%s", name, diff)
		}
	}
	// Appending to a type's Members must not disturb a derived type's.
	sx10 := s.LookupType("Sx10").(*ObjectType)
	_ = append(sx10.Members, &ObjectMember{Member: Member{Name: "intruder"}})
	if got := s.LookupType("Sx11").(*ObjectType).Members[11].Name; got != "m11" {
		t.Errorf("Sx11.Members[11] = %s after appending to Sx10.Members", got)
	}
	// A clash with a member deep in the chain is still found.
	_, err = parseString(b.String()+"{ 'struct': 'Clash', 'base': 'Sx2999', 'data': { 'm5': 'int' } }\n", Strict)
	want := fmt.Sprintf("t.json: In struct 'Clash':\nt.json:%d: member 'm5' collides with member 'm5' of type 'Sx5'", n+2)
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestModules: modules in the reference's order, includes recorded (also
// repeated ones), array types in the module of their element type. The
// expected dump is what the reference prints for these files.
func TestModules(t *testing.T) {
	fsys := fstest.MapFS{
		"root.json": {Data: []byte(`{ 'include': 'sub/a.json' }
{ 'command': 'cmd', 'data': { 'a': ['Aa'], 'e': ['Ee'], 'c': ['Cc'] }, 'returns': ['Aa'] }
{ 'include': 'common.json' }
{ 'struct': 'Root', 'data': { 'i': ['int'] } }
`)},
		"sub/a.json": {Data: []byte(`{ 'include': '../common.json' }
{ 'struct': 'Aa', 'data': { 'c': 'Cc' } }
{ 'enum': 'Ee', 'data': [ 'x' ], 'if': 'CONFIG_E' }
`)},
		"common.json": {Data: []byte("{ 'struct': 'Cc', 'data': {} }\n")},
	}
	s, err := Parse("root.json", Options{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	want := `module ./builtin
object q_empty
enum QType
    member none
    member qnull
    member qnum
    member qstring
    member qdict
    member qlist
    member qbool
module root.json
include sub/a.json
object q_obj_cmd-arg
    member a: AaList optional=False
    member e: EeList optional=False
    member c: CcList optional=False
command cmd q_obj_cmd-arg -> AaList
    gen=True success_response=True boxed=False oob=False preconfig=False
include common.json
object Root
    member i: intList optional=False
module sub/a.json
include common.json
object Aa
    member c: Cc optional=False
enum Ee
    member x
    if CONFIG_E
array AaList Aa
array EeList Ee
    if CONFIG_E
module common.json
object Cc
array CcList Cc
`
	if diff := cmp.Diff(want, dumpString(s)); diff != "" {
		t.Errorf("dump mismatch (-want +got):\n%s", diff)
	}
	var names []string
	for _, m := range s.Modules {
		names = append(names, m.Name)
	}
	if diff := cmp.Diff([]string{"./builtin", "root.json", "sub/a.json", "common.json"}, names); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
	if m := s.Lookup("intList").Common().Module; !m.IsBuiltin() {
		t.Errorf("intList in module %s", m.Name)
	}
	cmd := s.Lookup("cmd").(*Command)
	if cmd.Arg == nil || !cmd.Arg.IsImplicit() || cmd.Arg.Owner != cmd || cmd.Ret.(*ArrayType).Element != s.LookupType("Aa") {
		t.Errorf("cmd: arg %v ret %v", cmd.Arg, cmd.Ret)
	}
	if inc := s.Modules[2].Entities[0].(*Include); inc.Module != s.Modules[3] {
		t.Errorf("sub/a.json's include is of %s", inc.Module.Name)
	}
}

// TestDefinitionPos: a definition's Pos is where its opening brace is;
// implicit and array types made for it have its position.
func TestDefinitionPos(t *testing.T) {
	src := "{ 'enum': 'Ee', 'data': [ 'a' ] }\n" +
		"\n" +
		"   { 'command': 'cmd', 'data': { 'e': ['Ee'] } }\n" +
		"{ 'struct': 'Ss', 'data': {} }  { 'event': 'EV', 'data': { 'n': 'int' } }\n"
	s, err := Parse("p.json", Options{FS: fstest.MapFS{"p.json": {Data: []byte(src)}}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, name := range []string{"Ee", "cmd", "q_obj_cmd-arg", "EeList", "Ss", "EV", "q_obj_EV-arg", "int", "intList"} {
		got[name] = s.Lookup(name).Common().Pos()
	}
	want := map[string]string{
		"Ee": "p.json:1:1", "cmd": "p.json:3:4", "q_obj_cmd-arg": "p.json:3:4", "EeList": "p.json:3:4",
		"Ss": "p.json:4:1", "EV": "p.json:4:33", "q_obj_EV-arg": "p.json:4:33", "int": "", "intList": "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
}
