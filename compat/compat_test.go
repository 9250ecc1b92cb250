package compat

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qapi-go/qapi/introspect"
	"github.com/qapi-go/qapi/parser"
)

func craftedBindings(t *testing.T) *parser.Schema {
	t.Helper()
	s, err := parser.Parse("testdata/crafted.json", parser.Options{Mode: parser.Lenient})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func craftedLive(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/crafted-live.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// craftedWant is the report for testdata/crafted.json against
// testdata/crafted-live.json: one of every kind of difference.
var craftedWant = &Report{
	MissingCommands: []Def{{Name: "only-bindings", If: "CONFIG_X", Features: []string{"unstable"}}},
	MissingEvents:   []Def{{Name: "ONLY_BINDINGS_EV"}},
	ExtraCommands:   []string{"only-qemu"},
	ExtraEvents:     []string{"QEMU_EV"},
	Differences: []Difference{
		{Kind: OptionalityDiffers, Where: "command both", Path: "arguments", Name: "props", Bindings: "optional", QEMU: "required"},
		{Kind: MemberMissing, Where: "command both", Path: "arguments", Name: "gone", Bindings: "required bool"},
		{Kind: MemberExtra, Where: "command both", Path: "arguments", Name: "new", QEMU: "optional str"},
		{Kind: EnumValueMissing, Where: "command both", Path: "arguments.mode", Type: "Mode", Name: "b"},
		{Kind: EnumValueMissing, Where: "command both", Path: "arguments.mode", Type: "Mode", Name: "c", If: "CONFIG_C"},
		{Kind: EnumValueExtra, Where: "command both", Path: "arguments.mode", Type: "Mode", Name: "z"},
		{Kind: TypeDiffers, Where: "command both", Path: "arguments.props.size", Bindings: "int", QEMU: "str"},
		{Kind: AlternativeMissing, Where: "command both", Path: "arguments.ref", Type: "StrOrProps", Name: "p", Bindings: "object Props"},
		{Kind: AlternativeExtra, Where: "command both", Path: "arguments.ref", Type: "StrOrProps", Name: "number", QEMU: "int"},
		{Kind: OOBDiffers, Where: "command boxed", Path: "command", Bindings: "allow-oob", QEMU: "in-band only"},
		{Kind: BranchMissing, Where: "command boxed", Path: "arguments", Type: "Thing", Name: "b"},
		{Kind: BranchExtra, Where: "command boxed", Path: "arguments", Type: "Thing", Name: "z"},
	},
}

func TestCompareCrafted(t *testing.T) {
	live, err := introspect.Decode(craftedLive(t))
	if err != nil {
		t.Fatal(err)
	}
	got := Compare(craftedBindings(t), live)
	if diff := cmp.Diff(craftedWant, got); diff != "" {
		t.Errorf("Compare mismatch (-want +got):\n%s", diff)
	}
}

func TestCompareSelfIsEmpty(t *testing.T) {
	// A bindings schema that matches the crafted live reply exactly
	// (with an int-or-object alternate: QAPI refuses str next to int).
	const matching = `
{ 'enum': 'Mode', 'data': [ 'a', 'z' ] }
{ 'struct': 'Props', 'data': { 'size': 'str', '*label': 'str' } }
{ 'struct': 'Base', 'data': { 'mode': 'Mode', '*id': 'str' } }
{ 'struct': 'BranchA', 'data': { 'x': 'int' } }
{ 'struct': 'BranchZ', 'data': { 'w': 'int64' } }
{ 'union': 'Thing', 'base': 'Base', 'discriminator': 'mode',
  'data': { 'a': 'BranchA', 'z': 'BranchZ' } }
{ 'alternate': 'IntOrProps', 'data': { 'i': 'int', 'p': 'Props' } }
{ 'command': 'both',
  'data': { 'mode': 'Mode', 'props': 'Props', 'count': 'uint32',
            'ref': 'IntOrProps', '*new': 'str' },
  'returns': [ 'Props' ] }
{ 'command': 'boxed', 'data': 'Thing', 'boxed': true }
{ 'command': 'only-qemu' }
{ 'event': 'EV', 'data': { 'id': 'str' } }
{ 'event': 'QEMU_EV' }
`
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/s.json", []byte(matching), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := parser.Parse(dir+"/s.json", parser.Options{Mode: parser.Lenient})
	if err != nil {
		t.Fatal(err)
	}
	reply := strings.Replace(string(craftedLive(t)),
		`"members":[{"type":"str"},{"type":"int"}]`, `"members":[{"type":"int"},{"type":"3"}]`, 1)
	live, err := introspect.Decode([]byte(reply))
	if err != nil {
		t.Fatal(err)
	}
	r := Compare(b, live)
	if !r.Empty() {
		var out bytes.Buffer
		r.WriteText(&out)
		t.Errorf("matching schemas reported differences:\n%s", out.String())
	}
}

// TestCompareHostileLive compares the full vendored schema with replies
// whose types dangle, loop or have the wrong kinds: the report may say
// anything, but it must be made.
func TestCompareHostileLive(t *testing.T) {
	bindings, err := EmbeddedQMP()
	if err != nil {
		t.Fatal(err)
	}
	replies := []string{
		`[]`,
		`[{"name":"blockdev-add","meta-type":"command","arg-type":"404","ret-type":"404"}]`,
		`[{"name":"blockdev-add","meta-type":"command","arg-type":"1","ret-type":"1"},
		  {"name":"1","meta-type":"object","members":[{"name":"driver","type":"1"},{"name":"file","type":"[1]"}],"tag":"driver","variants":[{"case":"file","type":"1"}]}]`,
		`[{"name":"query-block","meta-type":"command","arg-type":"1","ret-type":"[[[1]]]"},
		  {"name":"1","meta-type":"alternate","members":[{"type":"1"},{"type":"[1]"}]},
		  {"name":"[1]","meta-type":"array","element-type":"[1]"}]`,
		`[{"name":"query-status","meta-type":"command","arg-type":"x","ret-type":"y"},
		  {"name":"x","meta-type":"builtin","json-type":"object"},{"name":"y","meta-type":"weird"}]`,
	}
	for _, reply := range replies {
		live, err := introspect.Decode([]byte(reply))
		if err != nil {
			t.Fatalf("Decode(%s): %v", reply, err)
		}
		done := make(chan *Report, 1)
		go func() { done <- Compare(bindings, live) }()
		select {
		case r := <-done:
			if r == nil {
				t.Fatal("nil report")
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("Compare did not finish on %s", reply)
		}
	}
}

func TestReportOutput(t *testing.T) {
	r := *craftedWant
	r.Bindings, r.QEMU = "crafted.json", "1.2.3"
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"bindings: crafted.json\nQEMU:     1.2.3\n",
		"\nCommands the QEMU lacks (1):\n  only-bindings [if CONFIG_X; unstable]\n",
		"\nEvents the QEMU lacks (1):\n  ONLY_BINDINGS_EV\n",
		"\nCommands the QEMU has that the bindings lack (1):\n  only-qemu\n",
		"\nDifferences (12):\n  command both:\n    arguments: member \"props\" is optional in the bindings, required in QEMU\n",
		"    arguments.mode (Mode): QEMU lacks enum value \"c\" [if CONFIG_C]\n",
		"    arguments.props.size: type differs: bindings int, QEMU str\n",
		"    arguments.ref (StrOrProps): QEMU lacks alternative p (bindings: object Props)\n",
		"  command boxed:\n    command: the bindings allow out-of-band execution, QEMU takes it in band only\n    arguments (Thing): QEMU lacks union branch \"b\"\n",
		"\nsummary: QEMU lacks 1 commands, 1 events; bindings lack 1 commands, 1 events; 1 member-missing; 1 member-extra; 1 type-differs; 1 optionality-differs; 2 enum-value-missing; 1 enum-value-extra; 1 branch-missing; 1 branch-extra; 1 alternative-missing; 1 alternative-extra; 1 allow-oob-differs\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q; got:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&r, &back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}

	var empty bytes.Buffer
	(&Report{}).WriteText(&empty)
	if !strings.Contains(empty.String(), "no differences") {
		t.Errorf("empty report: %q", empty.String())
	}
}
