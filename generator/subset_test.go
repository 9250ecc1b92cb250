package generator_test

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/internal/gomodtest"
	"github.com/qapi-go/qapi/parser"
	"github.com/qapi-go/qapi/schema"
)

// policySchema exercises the pruning rules of Subset. (QEMU allows the
// special features on commands, events, members and enum values, not on
// types.)
const policySchema = `
{ 'enum': 'Kind', 'data': [ 'a', { 'name': 'b', 'features': [ 'deprecated' ] }, 'c',
                            { 'name': 'x-e', 'features': [ 'unstable' ] } ] }
{ 'struct': 'BranchA', 'data': { 'x': 'int' } }
{ 'struct': 'BranchB', 'data': { 'y': 'int' } }
{ 'struct': 'Exp', 'data': { 'w': 'int' } }
{ 'struct': 'Old', 'data': { 'z': 'int' } }
{ 'union': 'Uni', 'base': { 'kind': 'Kind', '*common': 'str' }, 'discriminator': 'kind',
  'data': { 'a': 'BranchA', 'b': 'BranchB', 'x-e': 'Exp' } }
{ 'struct': 'Base', 'data': { 'id': 'str',
  '*legacy': { 'type': 'str', 'features': [ 'deprecated' ] } } }
{ 'struct': 'Leaf', 'data': { 'n': 'int' } }
{ 'alternate': 'Alt', 'data': { 's': 'str', 'o': 'Leaf' } }
{ 'struct': 'Info', 'base': 'Base',
  'data': { 'un': 'Uni', '*olds': { 'type': [ 'Old' ], 'features': [ 'deprecated' ] },
            'must': { 'type': 'int', 'features': [ 'deprecated' ] },
            '*x-exp': { 'type': 'bool', 'features': [ 'unstable' ] },
            'alt': 'Alt' } }
{ 'struct': 'Unused', 'data': { 'q': 'int' } }
{ 'struct': 'Unused2', 'data': { 'q': 'int' } }
{ 'command': 'query-info', 'returns': 'Info' }
{ 'command': 'query-infos', 'data': { 'filter': 'Kind' }, 'returns': [ 'Info' ] }
{ 'command': 'old-cmd', 'features': [ 'deprecated' ] }
{ 'command': 'x-exp', 'data': { 'v': 'Unused' }, 'features': [ 'unstable' ] }
{ 'event': 'EV', 'data': { 'leaf': 'Leaf' } }
{ 'event': 'X_EV', 'features': [ 'unstable' ] }
{ 'event': 'OTHER', 'data': 'Unused2', 'boxed': true }
`

func parseString(t testing.TB, src string) *parser.Schema {
	t.Helper()
	s, err := parser.Parse("schema.json", parser.Options{Mode: parser.Lenient,
		FS: fstest.MapFS{"schema.json": &fstest.MapFile{Data: []byte(src)}}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// summary describes the user definitions of s, one line each: kind,
// name and members (optional ones with '*'), values or branches.
func summary(s *parser.Schema) map[string]string {
	out := map[string]string{}
	for _, d := range s.Defs {
		c := d.Common()
		if c.Module == nil || c.Module.IsBuiltin() {
			continue
		}
		var parts []string
		switch d := d.(type) {
		case *parser.EnumType:
			parts = d.MemberNames()
		case *parser.ObjectType:
			for _, m := range d.Members {
				n := m.Name
				if m.Optional {
					n = "*" + n
				}
				parts = append(parts, n+":"+m.Type.Common().Name)
			}
			if d.Branches != nil {
				for _, v := range d.Branches.Variants {
					parts = append(parts, "|"+v.Name+":"+v.Type.Common().Name)
				}
			}
		case *parser.AlternateType:
			for _, v := range d.Alternatives.Variants {
				parts = append(parts, "|"+v.Name+":"+v.Type.Common().Name)
			}
		case *parser.ArrayType:
			parts = []string{d.Element.Common().Name}
		case *parser.Command:
			if d.Arg != nil {
				parts = append(parts, "arg="+d.Arg.Common().Name)
			}
			if d.Ret != nil {
				parts = append(parts, "ret="+d.Ret.Common().Name)
			}
		case *parser.Event:
			if d.Arg != nil {
				parts = append(parts, "arg="+d.Arg.Common().Name)
			}
		}
		out[d.Meta()+" "+c.Name] = strings.Join(parts, " ")
	}
	return out
}

func dump(s *parser.Schema) string {
	var b bytes.Buffer
	parser.Dump(&b, s)
	return b.String()
}

func TestSubsetPolicy(t *testing.T) {
	full := map[string]string{
		"enum Kind":                    "a b c x-e",
		"struct BranchA":               "x:int",
		"struct BranchB":               "y:int",
		"struct Exp":                   "w:int",
		"struct Old":                   "z:int",
		"struct q_obj_Uni-base":        "kind:Kind *common:str",
		"union Uni":                    "kind:Kind *common:str |a:BranchA |b:BranchB |x-e:Exp |c:q_empty",
		"struct Base":                  "id:str *legacy:str",
		"struct Leaf":                  "n:int",
		"alternate Alt":                "|s:str |o:Leaf",
		"array OldList":                "Old",
		"array InfoList":               "Info",
		"struct Info":                  "id:str *legacy:str un:Uni *olds:OldList must:int *x-exp:bool alt:Alt",
		"struct Unused":                "q:int",
		"struct Unused2":               "q:int",
		"command query-info":           "ret=Info",
		"struct q_obj_query-infos-arg": "filter:Kind",
		"command query-infos":          "arg=q_obj_query-infos-arg ret=InfoList",
		"command old-cmd":              "",
		"struct q_obj_x-exp-arg":       "v:Unused",
		"command x-exp":                "arg=q_obj_x-exp-arg",
		"struct q_obj_EV-arg":          "leaf:Leaf",
		"event EV":                     "arg=q_obj_EV-arg",
		"event X_EV":                   "",
		"event OTHER":                  "arg=Unused2",
	}
	with := func(edit func(m map[string]string)) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		edit(m)
		return m
	}
	tests := []struct {
		name string
		sel  generator.Selection
		want map[string]string
	}{
		{"all", generator.Selection{}, full},
		{"deprecated", generator.Selection{OmitDeprecated: true}, with(func(m map[string]string) {
			// The deprecated value b goes, with its branch; optional
			// members with the feature go (and OldList, which only they
			// used); the required one stays. Without an allow-list,
			// named types nothing uses stay (BranchB, Old).
			m["enum Kind"] = "a c x-e"
			m["union Uni"] = "kind:Kind *common:str |a:BranchA |x-e:Exp |c:q_empty"
			m["struct Base"] = "id:str"
			m["struct Info"] = "id:str un:Uni must:int *x-exp:bool alt:Alt"
			delete(m, "array OldList")
			delete(m, "command old-cmd")
		})},
		{"unstable", generator.Selection{OmitUnstable: true}, with(func(m map[string]string) {
			m["enum Kind"] = "a b c"
			m["union Uni"] = "kind:Kind *common:str |a:BranchA |b:BranchB |c:q_empty"
			m["struct Info"] = "id:str *legacy:str un:Uni *olds:OldList must:int alt:Alt"
			delete(m, "command x-exp")
			delete(m, "struct q_obj_x-exp-arg")
			delete(m, "event X_EV")
		})},
		{"subset", generator.Selection{Commands: []string{"query-infos"}, Events: []string{}}, with(func(m map[string]string) {
			for _, k := range []string{"command query-info", "command old-cmd", "command x-exp", "struct q_obj_x-exp-arg",
				"struct Unused", "struct Unused2", "event EV", "struct q_obj_EV-arg", "event X_EV", "event OTHER"} {
				delete(m, k)
			}
		})},
		{"subset and policy", generator.Selection{Commands: []string{"query-info"}, Events: []string{"EV"},
			OmitDeprecated: true, OmitUnstable: true}, map[string]string{
			"enum Kind":             "a c",
			"struct BranchA":        "x:int",
			"struct q_obj_Uni-base": "kind:Kind *common:str",
			"union Uni":             "kind:Kind *common:str |a:BranchA |c:q_empty",
			"struct Base":           "id:str",
			"struct Leaf":           "n:int",
			"alternate Alt":         "|s:str |o:Leaf",
			"struct Info":           "id:str un:Uni must:int alt:Alt",
			"command query-info":    "ret=Info",
			"struct q_obj_EV-arg":   "leaf:Leaf",
			"event EV":              "arg=q_obj_EV-arg",
		}},
		{"events only", generator.Selection{Commands: []string{}, Events: []string{"EV"}}, map[string]string{
			"struct Leaf":         "n:int",
			"struct q_obj_EV-arg": "leaf:Leaf",
			"event EV":            "arg=q_obj_EV-arg",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := parseString(t, policySchema)
			before := dump(s)
			if diff := cmp.Diff(full, summary(s)); diff != "" {
				t.Fatalf("parsed schema (-want +got):\n%s", diff)
			}
			sub, err := generator.Subset(s, tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summary(sub)); diff != "" {
				t.Errorf("Subset(%+v) (-want +got):\n%s", tt.sel, diff)
			}
			if dump(s) != before {
				t.Errorf("Subset modified its input")
			}
			for name := range tt.want {
				if _, n, _ := strings.Cut(name, " "); sub.Lookup(n) == nil {
					t.Errorf("Lookup(%q) on the subset = nil", n)
				}
			}
			files, err := generator.Generate(sub, generator.Config{Package: "policy"})
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			var src bytes.Buffer
			for _, f := range files {
				src.Write(f.Content)
			}
			// Pruned names leave no trace in the code (docs included).
			for _, gone := range map[string][]string{
				"deprecated":        {"KindB ", "Legacy", "[]Old", "OldCmd", `"old-cmd"`},
				"unstable":          {"KindXE", "XExp", "XEvEvent"},
				"subset and policy": {"KindB ", "KindXE", "BranchB", "Legacy", "[]Old", "XExp", "type Exp ", "Unused", "QueryInfos", "OtherEvent"},
			}[tt.name] {
				if bytes.Contains(src.Bytes(), []byte(gone)) {
					t.Errorf("output still has %q", gone)
				}
			}
		})
	}
}

// TestSubsetIdentity: keeping everything changes nothing in the output.
func TestSubsetIdentity(t *testing.T) {
	for _, root := range []string{schema.QMPRoot, schema.QGARoot} {
		s, err := parser.Parse(root, parser.Options{Mode: parser.Lenient, FS: schema.Files})
		if err != nil {
			t.Fatal(err)
		}
		sub, err := generator.Subset(s, generator.Selection{})
		if err != nil {
			t.Fatal(err)
		}
		if dump(sub) != dump(s) {
			t.Errorf("%s: Subset(all) dumps differently", root)
		}
		want, err := generator.Generate(s, generator.Config{Package: "x"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := generator.Generate(sub, generator.Config{Package: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d files, want %d", root, len(got), len(want))
		}
		for i := range got {
			if got[i].Name != want[i].Name || !bytes.Equal(got[i].Content, want[i].Content) {
				t.Errorf("%s: %s differs", root, want[i].Name)
			}
		}
	}
}

func TestSubsetErrors(t *testing.T) {
	s, err := parser.Parse(schema.QMPRoot, parser.Options{Mode: parser.Lenient, FS: schema.Files})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sel  generator.Selection
		want []string
	}{
		{generator.Selection{Commands: []string{"query-stauts"}},
			[]string{`unknown command "query-stauts"; did you mean query-stats, query-status?`}},
		{generator.Selection{Commands: []string{"system-powerdown", "STOP"}},
			[]string{`unknown command "system-powerdown"; did you mean system_powerdown`,
				`unknown command "STOP" ("STOP" is an event)`}},
		{generator.Selection{Events: []string{"shutdown"}},
			[]string{`unknown event "shutdown"; did you mean SHUTDOWN`}},
		{generator.Selection{Commands: []string{"drive-backup"}, OmitDeprecated: true},
			[]string{`command "drive-backup" is deprecated, and the selection omits what is deprecated`}},
		{generator.Selection{Events: []string{"CPU_POLARIZATION_CHANGE"}, OmitUnstable: true},
			[]string{`event "CPU_POLARIZATION_CHANGE" is unstable`}},
		{generator.Selection{Commands: []string{"no-such-thing-at-all"}},
			[]string{`unknown command "no-such-thing-at-all"`}},
	}
	for _, tt := range tests {
		_, err := generator.Subset(s, tt.sel)
		if err == nil {
			t.Errorf("Subset(%+v) succeeded", tt.sel)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Subset(%+v) = %v\nwant it to contain %q", tt.sel, err, w)
			}
		}
	}
}

// VMManagerCommands are the commands a typical VM manager sends.
var VMManagerCommands = []string{
	"qmp_capabilities", "query-status", "stop", "cont", "system_powerdown", "quit",
	"query-block", "blockdev-add", "blockdev-del", "device_add", "device_del",
	"query-cpus-fast", "migrate", "query-migrate", "object-add", "object-del",
	"human-monitor-command", "getfd", "closefd", "query-version",
}

// VMManagerEvents are the events such a manager watches.
var VMManagerEvents = []string{"SHUTDOWN", "STOP", "RESUME", "DEVICE_DELETED", "MIGRATION"}

// TestSubsetVMManager generates a 20-command subset of the vendored QMP
// schema (and the policy-pruned full schema), checks that the subset is
// much smaller, and compiles and vets both.
func TestSubsetVMManager(t *testing.T) {
	s, err := parser.Parse(schema.QMPRoot, parser.Options{Mode: parser.Lenient, FS: schema.Files})
	if err != nil {
		t.Fatal(err)
	}
	size := func(files []generator.File) (lines, n int) {
		for _, f := range files {
			lines += bytes.Count(f.Content, []byte("\n"))
			n += len(f.Content)
		}
		return
	}
	gen := func(pkg string, sel generator.Selection) []generator.File {
		t.Helper()
		sub, err := generator.Subset(s, sel)
		if err != nil {
			t.Fatal(err)
		}
		files, err := generator.Generate(sub, generator.Config{Package: pkg})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	full, err := generator.Generate(s, generator.Config{Package: "full"})
	if err != nil {
		t.Fatal(err)
	}
	vm := gen("vm", generator.Selection{Commands: VMManagerCommands, Events: VMManagerEvents})
	policy := gen("policy", generator.Selection{OmitDeprecated: true, OmitUnstable: true})
	fl, fb := size(full)
	vl, vb := size(vm)
	pl, pb := size(policy)
	t.Logf("full QMP: %d lines, %d bytes; 20-command subset: %d lines, %d bytes (%.1f%%); -omit-deprecated -omit-unstable: %d lines, %d bytes",
		fl, fb, vl, vb, 100*float64(vb)/float64(fb), pl, pb)
	if vb*3 > fb {
		t.Errorf("subset is %d bytes, more than a third of the full %d", vb, fb)
	}
	if pb >= fb {
		t.Errorf("policy-pruned output (%d bytes) is not smaller than the full one (%d)", pb, fb)
	}
	var src bytes.Buffer
	for _, f := range vm {
		src.Write(f.Content)
	}
	for _, want := range []string{"func (c *Conn) QueryStatus(", "func (c *Conn) BlockdevAdd(", "type BlockdevOptions struct",
		"type ShutdownEvent struct", `"SHUTDOWN": {`, `"device_del": {`} {
		if !bytes.Contains(src.Bytes(), []byte(want)) {
			t.Errorf("subset lacks %q", want)
		}
	}
	for _, unwanted := range []string{"func (c *Conn) DriveBackup(", "BlockJobCompletedEvent", `"query-cpu-model-expansion": {`} {
		if bytes.Contains(src.Bytes(), []byte(unwanted)) {
			t.Errorf("subset has %q", unwanted)
		}
	}

	if testing.Short() {
		t.Skip("compiling skipped in -short mode")
	}
	mod := gomodtest.New(t, "subsettest")
	policyFiles, err := generator.Generate(mustSubset(t, parseString(t, policySchema), generator.Selection{OmitDeprecated: true, OmitUnstable: true}),
		generator.Config{Package: "policytest"})
	if err != nil {
		t.Fatal(err)
	}
	qt, err := parser.Parse("../testdata/qapi-schema/qapi-schema-test.json", parser.Options{Mode: parser.Lenient})
	if err != nil {
		t.Fatal(err)
	}
	qtFiles, err := generator.Generate(mustSubset(t, qt, generator.Selection{OmitDeprecated: true, OmitUnstable: true}),
		generator.Config{Package: "qapitest"})
	if err != nil {
		t.Fatal(err)
	}
	for pkg, files := range map[string][]generator.File{"vm": vm, "policy": policy, "policytest": policyFiles, "qapitest": qtFiles} {
		for _, f := range files {
			mod.WriteFile(pkg+"/"+f.Name, f.Content)
		}
	}
	mod.Go("vet", "./...")
}

func mustSubset(t *testing.T, s *parser.Schema, sel generator.Selection) *parser.Schema {
	t.Helper()
	sub, err := generator.Subset(s, sel)
	if err != nil {
		t.Fatal(err)
	}
	checkLinks(t, sub)
	return sub
}

// TestSubsetReleases: the policies and a small allow-list work on every
// release the generator supports.
func TestSubsetReleases(t *testing.T) {
	for _, file := range []string{
		"../testdata/schemas/qemu-10.0.13/qapi/qapi-schema.json",
		"../testdata/schemas/qemu-10.0.13/qga/qapi-schema.json",
		"../testdata/schemas/qemu-7.2.0/qapi/qapi-schema.json",
		"../testdata/schemas/qemu-7.2.0/qga/qapi-schema.json",
		"../testdata/schemas/qga-5.0/qapi-schema.json",
		"../testdata/qapi-schema/qapi-schema-test.json",
	} {
		s, err := parser.Parse(file, parser.Options{Mode: parser.Lenient})
		if err != nil {
			t.Fatal(err)
		}
		var first []string
		for _, d := range s.Defs {
			if c, ok := d.(*parser.Command); ok && len(first) < 3 {
				first = append(first, c.Name)
			}
		}
		for _, sel := range []generator.Selection{
			{OmitDeprecated: true, OmitUnstable: true},
			{Commands: first, Events: []string{}},
		} {
			sub, err := generator.Subset(s, sel)
			if err != nil {
				t.Errorf("%s: Subset(%+v): %v", file, sel, err)
				continue
			}
			if _, err := generator.Generate(sub, generator.Config{Package: "x"}); err != nil {
				t.Errorf("%s: Generate(Subset(%+v)): %v", file, sel, err)
			}
		}
	}
}
