package parser

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// TestFilterIdentity: Filter{} copies a schema whole: the copy dumps as
// the original does, for QEMU's schemas and every schema of its corpus
// that parses, shares no definition, member, branch or module with it,
// and its references stay inside it.
func TestFilterIdentity(t *testing.T) {
	files := []string{"../schema/qapi/qapi-schema.json", "../schema/qga/qapi-schema.json"}
	cases, _ := filepath.Glob("../testdata/qapi-schema/*.json")
	for _, c := range cases {
		if out, err := os.ReadFile(strings.TrimSuffix(c, ".json") + ".out"); err == nil && len(out) > 0 {
			files = append(files, c)
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d schemas: no corpus?", len(files))
	}
	for _, file := range files {
		s, err := Parse(file, Options{})
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		var want bytes.Buffer
		Dump(&want, s)
		c, err := s.Filter(Filter{})
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		var got, again bytes.Buffer
		Dump(&got, c)
		if diff := cmp.Diff(want.String(), got.String()); diff != "" {
			t.Errorf("%s: the copy dumps differently (-original +copy):\n%s", file, diff)
		}
		Dump(&again, s)
		if again.String() != want.String() {
			t.Errorf("%s: Filter changed the original", file)
		}
		if diff := cmp.Diff(featureNames(s.Features), featureNames(c.Features)); diff != "" {
			t.Errorf("%s: features (-original +copy):\n%s", file, diff)
		}
		checkCopy(t, file, s, c)
	}
}

// checkCopy checks that c holds no part of s that Filter copies, and that
// c's references stay inside c.
func checkCopy(t *testing.T, file string, s, c *Schema) {
	t.Helper()
	orig := map[any]bool{}
	for _, m := range s.Modules {
		orig[m] = true
	}
	for _, d := range s.Defs {
		orig[d] = true
		switch d := d.(type) {
		case *ObjectType:
			for _, m := range d.Members {
				orig[m] = true
			}
			if d.Branches != nil {
				for _, v := range d.Branches.Variants {
					orig[v] = true
				}
			}
		case *AlternateType:
			orig[d.Alternatives.Tag] = true
			for _, v := range d.Alternatives.Variants {
				orig[v] = true
			}
		}
	}
	in := map[Definition]bool{}
	for _, d := range c.Defs {
		in[d] = true
	}
	mods := map[*Module]bool{}
	for _, m := range c.Modules {
		mods[m] = true
	}
	bad := func(what string, x any) {
		t.Helper()
		if orig[x] {
			t.Errorf("%s: %s is the original's", file, what)
		}
	}
	ref := func(what string, d Definition) {
		t.Helper()
		if d != nil && !in[d] {
			t.Errorf("%s: %s refers outside the copy", file, what)
		}
	}
	for _, m := range c.Modules {
		bad("module "+m.Name, m)
		for _, e := range m.Entities {
			switch e := e.(type) {
			case *Include:
				if !mods[e.Module] {
					t.Errorf("%s: an include of %s refers outside the copy", file, m.Name)
				}
			case Definition:
				ref("module "+m.Name, e)
			}
		}
	}
	for _, d := range c.Defs {
		name := d.Common().Name
		bad(name, d)
		if c.Lookup(name) != d {
			t.Errorf("%s: Lookup(%q) does not find the copy", file, name)
		}
		if !mods[d.Common().Module] {
			t.Errorf("%s: %s's module is not the copy's", file, name)
		}
		switch d := d.(type) {
		case *ArrayType:
			ref(name+" element", d.Element)
		case *ObjectType:
			if d.Base != nil {
				ref(name+" base", d.Base)
			}
			if d.Owner != nil {
				ref(name+" owner", d.Owner)
			}
			for _, m := range d.Members {
				bad(name+"."+m.Name, m)
				ref(name+"."+m.Name, m.Type)
			}
			if d.Branches != nil {
				found := false
				for _, m := range d.Members {
					found = found || m == d.Branches.Tag
				}
				if !found {
					t.Errorf("%s: %s's discriminator is not its member", file, name)
				}
				for _, v := range d.Branches.Variants {
					bad(name+" branch "+v.Name, v)
					ref(name+" branch "+v.Name, v.Type)
				}
			}
		case *AlternateType:
			bad(name+" tag", d.Alternatives.Tag)
			ref(name+" tag", d.Alternatives.Tag.Type)
			for _, v := range d.Alternatives.Variants {
				bad(name+" alternative "+v.Name, v)
				ref(name+" alternative "+v.Name, v.Type)
			}
		case *Command:
			if d.Arg != nil {
				ref(name+" arguments", d.Arg)
			}
			ref(name+" result", d.Ret)
		case *Event:
			if d.Arg != nil {
				ref(name+" data", d.Arg)
			}
		}
	}
}

const filterSchema = `
{ 'enum': 'Kind', 'data': [ 'a', 'b', { 'name': 'c', 'features': [ 'f-value' ] } ] }
{ 'struct': 'Base', 'data': { 'id': 'str', '*extra': { 'type': 'int', 'features': [ 'f-member' ] } } }
{ 'struct': 'Derived', 'base': 'Base', 'data': { 'more': 'bool' } }
{ 'struct': 'BranchA', 'data': { 'x': 'int' } }
{ 'struct': 'BranchB', 'data': { 'y': 'int' } }
{ 'union': 'Uni', 'base': { 'kind': 'Kind' }, 'discriminator': 'kind',
  'data': { 'a': 'BranchA', 'b': 'BranchB' } }
{ 'command': 'cmd', 'data': { 'd': 'Derived', 'us': [ 'Uni' ] }, 'features': [ 'f-command' ] }
{ 'event': 'EV', 'data': { 'n': 'int' } }
`

// TestFilter: what a filter keeps and drops, and the errors for what
// would refer to a dropped part.
func TestFilter(t *testing.T) {
	s, err := Parse("f.json", Options{FS: fstest.MapFS{"f.json": {Data: []byte(filterSchema)}}})
	if err != nil {
		t.Fatal(err)
	}
	named := func(names ...string) func(Definition) bool {
		return func(d Definition) bool {
			if d.Common().Module.IsBuiltin() {
				return true
			}
			for _, n := range names {
				if d.Common().Name == n {
					return true
				}
			}
			return false
		}
	}
	tests := []struct {
		name    string
		f       Filter
		want    string // the copy's dump, user module only, when no error
		feats   string // the copy's Features
		wantErr string
	}{{
		name: "definitions",
		f:    Filter{Def: named("Kind", "BranchA", "EV", "q_obj_EV-arg")},
		want: `module f.json
enum Kind
    member a
    member b
    member c
        feature f-value
object BranchA
    member x: int optional=False
object q_obj_EV-arg
    member n: int optional=False
event EV q_obj_EV-arg
    boxed=False
`,
		feats: "deprecated unstable f-value",
	}, {
		name: "members: a base's dropped member is gone from derived types too",
		f:    Filter{Def: named("Base", "Derived"), Member: func(m *ObjectMember) bool { return m.Name != "extra" }},
		want: `module f.json
object Base
    member id: str optional=False
object Derived
    base Base
    member more: bool optional=False
`,
		feats: "deprecated unstable",
	}, {
		name: "enum values and branches",
		f: Filter{Def: named("Kind", "BranchA", "BranchB", "q_obj_Uni-base", "Uni"),
			EnumValue: func(m *EnumMember) bool { return m.Name != "b" },
			Branch:    func(v *Variant) bool { return v.Name != "b" }},
		want: `module f.json
enum Kind
    member a
    member c
        feature f-value
object BranchA
    member x: int optional=False
object BranchB
    member y: int optional=False
object q_obj_Uni-base
    member kind: Kind optional=False
object Uni
    base q_obj_Uni-base
    tag kind
    case a: BranchA
    case c: q_empty
`,
		feats: "deprecated unstable f-value",
	}, {
		name:    "a base",
		f:       Filter{Def: named("Derived")},
		wantErr: "parser: filter: struct type 'Derived' is kept, but its base struct type 'Base' is not",
	}, {
		name:    "a member's type",
		f:       Filter{Def: named("Base", "q_obj_cmd-arg", "cmd")},
		wantErr: "parser: filter: struct type 'q_obj_cmd-arg' is kept, but its member 'd' type struct type 'Derived' is not\nstruct type 'q_obj_cmd-arg' is kept, but its member 'us' type array type ['Uni'] is not",
	}, {
		name:    "an array's element",
		f:       Filter{Def: named("UniList")},
		wantErr: "parser: filter: array type ['Uni'] is kept, but its element type union type 'Uni' is not",
	}, {
		name:    "an owner",
		f:       Filter{Def: named("q_obj_EV-arg")},
		wantErr: "parser: filter: struct type 'q_obj_EV-arg' is kept, but its owner event 'EV' is not",
	}, {
		name:    "arguments",
		f:       Filter{Def: named("EV")},
		wantErr: "parser: filter: event 'EV' is kept, but its data type struct type 'q_obj_EV-arg' is not",
	}, {
		name: "a branch's value",
		f: Filter{Def: named("Kind", "BranchA", "BranchB", "q_obj_Uni-base", "Uni"),
			EnumValue: func(m *EnumMember) bool { return m.Name != "b" }},
		wantErr: "parser: filter: union type 'Uni' is kept with its branch 'b', but not the discriminator value 'b'",
	}, {
		name: "a discriminator",
		f: Filter{Def: named("Kind", "BranchA", "BranchB", "q_obj_Uni-base", "Uni"),
			Member: func(m *ObjectMember) bool { return m.Name != "kind" }},
		wantErr: "parser: filter: union type 'Uni' is kept, but its discriminator 'kind' is not",
	}}
	var orig bytes.Buffer
	Dump(&orig, s)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.Filter(tc.f)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want:\n%s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			Dump(&b, c)
			got := b.String()
			got = got[strings.Index(got, "module f.json"):]
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("copy (-want +got):\n%s", diff)
			}
			if got := strings.Join(featureNames(c.Features), " "); got != tc.feats {
				t.Errorf("features %q, want %q", got, tc.feats)
			}
			checkCopy(t, tc.name, s, c)
			var again bytes.Buffer
			Dump(&again, s)
			if again.String() != orig.String() {
				t.Errorf("Filter changed the original")
			}
		})
	}
}

func featureNames(fs []*Feature) []string {
	var names []string
	for _, f := range fs {
		names = append(names, f.Name)
	}
	return names
}
