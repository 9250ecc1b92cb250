package generator_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/parser"
)

// checkLinks checks the links the generator relies on in s: every union
// branch's Value is its value in the union's own discriminator enum, the
// discriminator is one of the union's members, and every implicit object
// type and its owner refer to each other; every link stays inside s.
func checkLinks(t testing.TB, s *parser.Schema) {
	t.Helper()
	in := map[parser.Definition]bool{}
	for _, d := range s.Defs {
		in[d] = true
	}
	for _, d := range s.Defs {
		o, ok := d.(*parser.ObjectType)
		if !ok {
			continue
		}
		if o.Branches != nil {
			enum, _ := o.Branches.Tag.Type.(*parser.EnumType)
			if enum == nil || !in[enum] {
				t.Errorf("%s: discriminator type %v is not an enum of the schema", o.Name, o.Branches.Tag.Type)
				continue
			}
			if !slices.Contains(o.Members, o.Branches.Tag) {
				t.Errorf("%s: discriminator %s is not one of its members", o.Name, o.Branches.Tag.Name)
			}
			for _, v := range o.Branches.Variants {
				if v.Value == nil || v.Value.Name != v.Name || !slices.Contains(enum.Members, v.Value) {
					t.Errorf("%s: branch %s is linked to %v, not to its value of %s", o.Name, v.Name, v.Value, enum.Name)
				}
			}
		}
		if o.Owner == nil {
			if strings.HasPrefix(o.Name, "q_obj_") {
				t.Errorf("%s: implicit type without owner", o.Name)
			}
			continue
		}
		if !in[o.Owner] {
			t.Errorf("%s: owner %s is not in the schema", o.Name, o.Owner.Common().Name)
		}
		var back *parser.ObjectType
		switch w := o.Owner.(type) {
		case *parser.Command:
			back = w.Arg
		case *parser.Event:
			back = w.Arg
		case *parser.ObjectType:
			back = w.Base
		}
		if back != o {
			t.Errorf("%s: owner %s does not refer to it", o.Name, o.Owner.Common().Name)
		}
	}
}

// TestMergeLinks: what only an older release has (a union, a command's
// inline arguments, a struct with a base) is linked inside the merged
// schema, not to the older release's definitions, which stay as they
// were.
func TestMergeLinks(t *testing.T) {
	oldSrc := `{ 'enum': 'Kind', 'data': [ 'a', 'b' ] }
{ 'struct': 'BranchA', 'data': { 'x': 'int' } }
{ 'union': 'Old', 'base': { 'kind': 'Kind', '*tag-opt': 'str' }, 'discriminator': 'kind', 'data': { 'a': 'BranchA' } }
{ 'struct': 'OldBase', 'data': { 'id': 'str' } }
{ 'struct': 'OldDerived', 'base': 'OldBase', 'data': { 'n': 'int' } }
{ 'command': 'old-cmd', 'data': { 'which': 'Old', 'more': 'OldDerived' } }
{ 'event': 'OLD_EVENT', 'data': { 'n': 'int' } }
{ 'union': 'Both', 'base': { 'kind': 'Kind' }, 'discriminator': 'kind', 'data': { 'a': 'BranchA' } }
{ 'command': 'both', 'data': { 'b': 'Both' } }`
	newSrc := `{ 'enum': 'Kind', 'data': [ 'a', 'b', 'c' ] }
{ 'struct': 'BranchA', 'data': { 'x': 'int' } }
{ 'union': 'Both', 'base': { 'kind': 'Kind' }, 'discriminator': 'kind', 'data': { 'a': 'BranchA', 'c': 'BranchA' } }
{ 'command': 'both', 'data': { 'b': 'Both' } }`
	old := parseText(t, "v1.0.json", oldSrc)
	oldUnion := old.Lookup("Old").(*parser.ObjectType)
	oldTag, oldOptional := oldUnion.Branches.Tag, oldUnion.Branches.Tag.Optional
	rng, err := generator.Merge([]generator.Release{{Name: "1.0", Schema: old}, {Name: "2.0", Schema: parseText(t, "v2.0.json", newSrc)}})
	if err != nil {
		t.Fatal(err)
	}
	checkLinks(t, rng.Schema)
	if oldUnion.Branches.Tag != oldTag || oldTag.Optional != oldOptional || oldTag.Type != old.Lookup("Kind") {
		t.Errorf("merging changed the older release's discriminator of Old")
	}
	files, err := generator.Generate(rng.Schema, generator.Config{Package: "p", Range: rng})
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range files {
		all.Write(f.Content)
	}
	for _, want := range []string{
		"A holds the members of the branch for Kind [KindA]", // Old's branch, linked to the merged enum's constant
		"OldCmdArgs holds the arguments of [Conn.OldCmd]",
		"type OldDerived struct {\n\t// OldBase holds the members of the base type.\n\tOldBase\n", // its base, as in the release that has it
	} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("generated code lacks %q", want)
		}
	}
}
