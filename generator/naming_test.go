package generator_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/generator"
)

// TestNameClashes: schemas whose parts would get the same Go name fail
// before anything is generated, with every clash listed at once, each
// at the file:line:col of the definitions involved.
func TestNameClashes(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   []string
	}{{
		name: "two members, one field",
		schema: `{ 'struct': 'Info', 'data': { 'node-name': 'str', 'nodeName': 'str' } }
{ 'command': 'query-info', 'returns': 'Info' }`,
		want: []string{
			"s.json:1:1: Go name Info.NodeName of member 'nodeName' of struct 'Info' clashes with member 'node-name' of struct 'Info' (s.json:1:1)",
		},
	}, {
		name: "a type and a command's arguments",
		schema: `{ 'command': 'set-mode', 'data': { 'on': 'bool' } }
  { 'struct': 'SetModeArgs', 'data': { 'x': 'int' } }`,
		want: []string{
			"s.json:2:3: Go name SetModeArgs of struct 'SetModeArgs' clashes with the arguments of command 'set-mode' (s.json:1:1)",
		},
	}, {
		name: "a type and the arguments of a command without any",
		schema: `{ 'struct': 'StopArgs', 'data': { 'x': 'int' } }
{ 'command': 'stop' }`,
		want: []string{
			"s.json:1:1: Go name StopArgs of struct 'StopArgs' clashes with the arguments type of command 'stop' (which takes none) (s.json:2:1)",
		},
	}, {
		name: "a type and an event",
		schema: `{ 'struct': 'ResetEvent', 'data': { 'x': 'int' } }
{ 'event': 'RESET' }`,
		want: []string{
			"s.json:2:1: Go name ResetEvent of event 'RESET' clashes with struct 'ResetEvent' (s.json:1:1)",
		},
	}, {
		name: "an enum constant and a type",
		schema: `{ 'enum': 'Color', 'data': [ 'red' ] }
{ 'struct': 'ColorRed', 'data': { 'c': 'Color' } }`,
		want: []string{
			"s.json:2:1: Go name ColorRed of struct 'ColorRed' clashes with value 'red' of enum 'Color' (s.json:1:1)",
		},
	}, {
		name:   "two commands, one method",
		schema: `{ 'command': 'query-cpu' } { 'command': 'query-c-p-u' }`,
		want: []string{
			"s.json:1:28: Go name Conn.QueryCPU of the method of command 'query-c-p-u' clashes with the method of command 'query-cpu' (s.json:1:1)",
			"s.json:1:28: Go name QueryCPUArgs of the arguments type of command 'query-c-p-u' (which takes none) clashes with the arguments type of command 'query-cpu' (which takes none) (s.json:1:1)",
		},
	}, {
		name:   "a command and the connection layer",
		schema: `{ 'command': 'close' }`,
		want: []string{
			"s.json:1:1: Go name Conn.Close of the method of command 'close' clashes with a method of the connection layer the generator writes in qapi_conn.go",
		},
	}, {
		name:   "a type and the generator's own names",
		schema: `{ 'struct': 'CommandSpec', 'data': { 'x': 'int' } }`,
		want: []string{
			"s.json:1:1: Go name CommandSpec of struct 'CommandSpec' clashes with a name the generator defines",
		},
	}, {
		name: "a member and a member of the embedded base",
		schema: `{ 'struct': 'Base', 'data': { 'node-name': 'str' } }
{ 'struct': 'Derived', 'base': 'Base', 'data': { 'nodeName': 'str' } }`,
		want: []string{
			"s.json:2:1: Go name Derived.NodeName of member 'nodeName' of struct 'Derived' clashes with member 'node-name' of base 'Base' of struct 'Derived' (s.json:1:1)",
		},
	}, {
		name:   "a member and the field for unknown members",
		schema: `{ 'struct': 'Info', 'data': { 'unknown-members': 'int' } }`,
		want: []string{
			"s.json:1:1: Go name Info.UnknownMembers of the field for unknown members of struct 'Info' clashes with member 'unknown-members' of struct 'Info' (s.json:1:1)",
		},
	}, {
		name: "a base member and a union branch",
		schema: `{ 'enum': 'Kind', 'data': [ 'file', 'other' ] }
{ 'struct': 'FileOpts', 'data': { 'path': 'str' } }
{ 'union': 'Opts', 'base': { 'kind': 'Kind', '*file': 'str' }, 'discriminator': 'kind',
  'data': { 'file': 'FileOpts' } }`,
		want: []string{
			"s.json:3:1: Go name Opts.File of branch 'file' of union 'Opts' clashes with member 'file' of union 'Opts' (s.json:3:1)",
		},
	}, {
		name:   "a member and a generated method",
		schema: `{ 'event': 'MOVED', 'data': { 'event-name': 'str' } }`,
		want: []string{
			"s.json:1:1: Go name MovedEvent.EventName of member 'event-name' of event 'MOVED' clashes with method EventName the generator defines",
		},
	}, {
		name: "an alternative and a generated method",
		schema: `{ 'struct': 'Obj', 'data': { 'x': 'int' } }
{ 'alternate': 'Alt', 'data': { 'unmarshal-json': 'str', 'o': 'Obj' } }`,
		want: []string{
			"s.json:2:1: Go name Alt.UnmarshalJSON of alternative 'unmarshal-json' of alternate 'Alt' clashes with method UnmarshalJSON the generator defines",
		},
	}, {
		name: "every clash at once: package-level names, then fields",
		schema: `{ 'struct': 'Abc', 'data': { 'x-y': 'int', 'xY': 'int' } }
{ 'command': 'b', 'data': { 'p-q': 'int', 'pQ': 'int' } }
{ 'struct': 'BArgs', 'data': { 'z': 'int' } }
{ 'enum': 'Ee', 'data': [ 'ab', 'Ab' ] }`,
		want: []string{
			"s.json:3:1: Go name BArgs of struct 'BArgs' clashes with the arguments of command 'b' (s.json:2:1)",
			"s.json:4:1: Go name EeAb of value 'Ab' of enum 'Ee' clashes with value 'ab' of enum 'Ee' (s.json:4:1)",
			"s.json:1:1: Go name Abc.XY of member 'xY' of struct 'Abc' clashes with member 'x-y' of struct 'Abc' (s.json:1:1)",
			"s.json:2:1: Go name BArgs.PQ of member 'pQ' of the arguments of command 'b' clashes with member 'p-q' of the arguments of command 'b' (s.json:2:1)",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := parseText(t, "s.json", tc.schema)
			files, err := generator.Generate(s, generator.Config{Package: "p"})
			var clashes generator.NameClashes
			if !errors.As(err, &clashes) {
				t.Fatalf("Generate: %v (%d files), want name clashes", err, len(files))
			}
			if files != nil {
				t.Errorf("Generate returned %d files with the error", len(files))
			}
			var got []string
			for _, c := range clashes {
				got = append(got, c.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("clashes (-want +got):\n%s", diff)
			}
			if err.Error() != clashes.Error() {
				t.Errorf("error %q is not the list's", err)
			}
		})
	}
}

// TestNameClashFields: a clash carries what and where each side is.
func TestNameClashFields(t *testing.T) {
	s := parseText(t, "s.json", "{ 'command': 'set-mode', 'data': { 'on': 'bool' } }\n\n    { 'struct': 'SetModeArgs', 'data': { 'x': 'int' } }")
	_, err := generator.Generate(s, generator.Config{Package: "p"})
	var clashes generator.NameClashes
	if !errors.As(err, &clashes) || len(clashes) != 1 {
		t.Fatalf("Generate: %v, want one clash", err)
	}
	want := generator.NameClash{Name: "SetModeArgs", Pos: "s.json:3:5", What: "struct 'SetModeArgs'",
		PrevPos: "s.json:1:1", PrevWhat: "the arguments of command 'set-mode'"}
	if diff := cmp.Diff(want, *clashes[0]); diff != "" {
		t.Errorf("clash (-want +got):\n%s", diff)
	}
}
