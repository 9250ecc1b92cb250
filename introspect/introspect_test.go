package introspect

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// qemu72 is query-qmp-schema as answered by Debian 12's QEMU 7.2.22
// (qemu-system-x86_64 -machine none).
func qemu72(t testing.TB) []byte {
	t.Helper()
	f, err := os.Open("testdata/qemu-7.2.22-x86_64-machine-none.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// small is a crafted reply exercising every meta-type.
const small = `[
 {"name":"str","meta-type":"builtin","json-type":"string"},
 {"name":"int","meta-type":"builtin","json-type":"int"},
 {"name":"bool","meta-type":"builtin","json-type":"boolean"},
 {"name":"0","meta-type":"object","members":[]},
 {"name":"query-x","meta-type":"command","arg-type":"0","ret-type":"[5]","features":["unstable"]},
 {"name":"set-x","meta-type":"command","arg-type":"1","ret-type":"0","allow-oob":true},
 {"name":"X_CHANGED","meta-type":"event","arg-type":"2","features":["deprecated"]},
 {"name":"1","meta-type":"object","members":[
   {"name":"mode","type":"5"},
   {"name":"props","type":"3","default":null,"features":["deprecated"]},
   {"name":"tags","type":"[str]","default":null}]},
 {"name":"2","meta-type":"object","members":[{"name":"id","type":"str"}]},
 {"name":"3","meta-type":"object","members":[{"name":"kind","type":"5"}],"tag":"kind",
  "variants":[{"case":"a","type":"4"},{"case":"b","type":"0"}],"features":["dynamic"]},
 {"name":"4","meta-type":"object","members":[{"name":"size","type":"int"},{"name":"sub","type":"6","default":null}]},
 {"name":"5","meta-type":"enum","members":[{"name":"a"},{"name":"b","features":["deprecated"]}],"values":["a","b"]},
 {"name":"[5]","meta-type":"array","element-type":"5"},
 {"name":"[str]","meta-type":"array","element-type":"str"},
 {"name":"6","meta-type":"alternate","members":[{"type":"7"},{"type":"str"}]},
 {"name":"7","meta-type":"enum","values":["on","off"]},
 {"name":"8","meta-type":"future-kind","whatever":1}
]`

func TestDecodeSmall(t *testing.T) {
	s, err := Decode([]byte(small))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"query-x", "set-x"}, s.Commands()); diff != "" {
		t.Errorf("Commands (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"X_CHANGED"}, s.Events()); diff != "" {
		t.Errorf("Events (-want +got):\n%s", diff)
	}
	wantObj := &Entity{Name: "1", MetaType: Object, Members: []Member{
		{Name: "mode", Type: "5"},
		{Name: "props", Type: "3", Optional: true, Features: []string{"deprecated"}},
		{Name: "tags", Type: "[str]", Optional: true},
	}}
	if diff := cmp.Diff(wantObj, s.Lookup("1")); diff != "" {
		t.Errorf("Lookup(1) (-want +got):\n%s", diff)
	}
	wantEnum := &Entity{Name: "7", MetaType: Enum, Values: []EnumValue{{Name: "on"}, {Name: "off"}}}
	if diff := cmp.Diff(wantEnum, s.Lookup("7")); diff != "" {
		t.Errorf("Lookup(7) (values only, pre-6.2 form) (-want +got):\n%s", diff)
	}
	if e := s.Lookup("8"); e == nil || e.MetaType != "future-kind" {
		t.Errorf("an unknown meta-type is kept: got %+v", e)
	}
	if c := s.Command("set-x"); c == nil || !c.AllowOOB || c.ArgType != "1" {
		t.Errorf("Command(set-x) = %+v", c)
	}
	if s.Command("X_CHANGED") != nil || s.Event("set-x") != nil {
		t.Error("Command/Event return entities of the other meta-type")
	}
	if a := s.Type("[7]"); a == nil || a.ElementType != "7" {
		t.Errorf("Type([7]) not synthesised: %+v", a)
	}
}

func TestQueries(t *testing.T) {
	s, err := Decode([]byte(small))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"HasCommand query-x", s.HasCommand("query-x"), true},
		{"HasCommand nope", s.HasCommand("nope"), false},
		{"HasCommand of an event", s.HasCommand("X_CHANGED"), false},
		{"HasEvent", s.HasEvent("X_CHANGED"), true},
		{"HasMember mode", s.HasMember("set-x", "mode"), true},
		{"HasMember nested through union base", s.HasMember("set-x", "props.kind"), true},
		{"HasMember nested through union branch", s.HasMember("set-x", "props.size"), true},
		{"HasMember deeper", s.HasMember("set-x", "props.sub"), true},
		{"HasMember missing", s.HasMember("set-x", "props.nope"), false},
		{"HasMember of scalar", s.HasMember("set-x", "mode.x"), false},
		{"HasMember event data", s.HasMember("X_CHANGED", "id"), true},
		{"HasMember unknown command", s.HasMember("nope", "id"), false},
		{"HasMember empty path", s.HasMember("set-x", ""), false},
		{"HasEnumValue", s.HasEnumValue("set-x", "mode", "b"), true},
		{"HasEnumValue missing", s.HasEnumValue("set-x", "mode", "c"), false},
		{"HasEnumValue through alternate", s.HasEnumValue("set-x", "props.sub", "off"), true},
		{"HasEnumValue of a non-enum", s.HasEnumValue("set-x", "tags", "a"), false},
		{"HasEnumValue of the return type (array of enum)", s.HasEnumValue("query-x", "", "a"), true},
		{"HasEnumValue unknown command", s.HasEnumValue("nope", "", "a"), false},
		{"HasFeature command", s.HasFeature("query-x", "unstable"), true},
		{"HasFeature command missing", s.HasFeature("set-x", "unstable"), false},
		{"HasFeature event", s.HasFeature("X_CHANGED", "deprecated"), true},
		{"HasFeature member", s.HasFeature("set-x.props", "deprecated"), true},
		{"HasFeature member's type", s.HasFeature("set-x.props", "dynamic"), true},
		{"HasFeature enum value", s.HasFeature("set-x.mode=b", "deprecated"), true},
		{"HasFeature enum value without it", s.HasFeature("set-x.mode=a", "deprecated"), false},
		{"HasFeature unknown value", s.HasFeature("set-x.mode=z", "deprecated"), false},
		{"HasFeature of a type name", s.HasFeature("5", "deprecated"), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestQEMU72(t *testing.T) {
	s, err := Decode(qemu72(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"query-status", s.HasCommand("query-status"), true},
		{"blockdev-add", s.HasCommand("blockdev-add"), true},
		{"query-cpus (removed in 6.0)", s.HasCommand("query-cpus"), false},
		{"SHUTDOWN", s.HasEvent("SHUTDOWN"), true},
		{"blockdev-add driver", s.HasMember("blockdev-add", "driver"), true},
		{"blockdev-add file.filename", s.HasMember("blockdev-add", "file.filename"), true},
		{"blockdev-add driver=qcow2", s.HasEnumValue("blockdev-add", "driver", "qcow2"), true},
		{"blockdev-add driver=nosuch", s.HasEnumValue("blockdev-add", "driver", "nosuch"), false},
		{"migrate caps", s.HasEnumValue("migrate-set-capabilities", "capabilities.capability", "postcopy-ram"), true},
		{"drive-backup deprecated", s.HasFeature("drive-backup", "deprecated"), true},
		{"blockdev-snapshot feature", s.HasFeature("blockdev-snapshot", "allow-write-only-overlay"), true},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if n := len(s.Commands()); n < 150 {
		t.Errorf("only %d commands decoded", n)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"not JSON", `{`, "not a JSON array"},
		{"object not array", `{"return":[]}`, "not a JSON array"},
		{"null element", `[null]`, `missing "name"`},
		{"number element", `[1]`, "#0"},
		{"no name", `[{"meta-type":"builtin","json-type":"int"}]`, `missing "name"`},
		{"empty name", `[{"name":"","meta-type":"builtin"}]`, `missing "name"`},
		{"no meta-type", `[{"name":"x"}]`, `missing "meta-type"`},
		{"meta-type not string", `[{"name":"x","meta-type":3}]`, "#0"},
		{"duplicate", `[{"name":"x","meta-type":"builtin","json-type":"int"},{"name":"x","meta-type":"builtin","json-type":"int"}]`, "defined twice"},
		{"builtin without json-type", `[{"name":"x","meta-type":"builtin"}]`, "json-type"},
		{"enum without values", `[{"name":"x","meta-type":"enum"}]`, `missing "members" and "values"`},
		{"enum members wrong", `[{"name":"x","meta-type":"enum","members":"a"}]`, "members"},
		{"enum member without name", `[{"name":"x","meta-type":"enum","members":[{}]}]`, "member #0"},
		{"array without element", `[{"name":"x","meta-type":"array"}]`, "element-type"},
		{"object without members", `[{"name":"x","meta-type":"object"}]`, `missing "members"`},
		{"object null members", `[{"name":"x","meta-type":"object","members":null}]`, `missing "members"`},
		{"object member without type", `[{"name":"x","meta-type":"object","members":[{"name":"a"}]}]`, "member #0"},
		{"object member name number", `[{"name":"x","meta-type":"object","members":[{"name":1,"type":"a"}]}]`, "#0"},
		{"tag without variants", `[{"name":"x","meta-type":"object","members":[],"tag":"t"}]`, "must come together"},
		{"variant without case", `[{"name":"x","meta-type":"object","members":[],"tag":"t","variants":[{"type":"y"}]}]`, "variant #0"},
		{"alternate without members", `[{"name":"x","meta-type":"alternate"}]`, `missing "members"`},
		{"alternate member without type", `[{"name":"x","meta-type":"alternate","members":[{}]}]`, "member #0"},
		{"command without ret-type", `[{"name":"x","meta-type":"command","arg-type":"0"}]`, "ret-type"},
		{"event without arg-type", `[{"name":"x","meta-type":"event"}]`, "arg-type"},
		{"features not list", `[{"name":"x","meta-type":"event","arg-type":"0","features":"y"}]`, "#0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Decode(%s): err = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

// TestCycles checks that lookups over a reply whose types refer to
// themselves or to missing types terminate.
func TestCycles(t *testing.T) {
	in := `[
 {"name":"c","meta-type":"command","arg-type":"1","ret-type":"[[9]]"},
 {"name":"1","meta-type":"object","members":[{"name":"self","type":"1"},{"name":"alt","type":"2"},{"name":"dangling","type":"404"}],
  "tag":"self","variants":[{"case":"x","type":"1"}]},
 {"name":"2","meta-type":"alternate","members":[{"type":"2"},{"type":"[2]"},{"type":"1"}]},
 {"name":"[2]","meta-type":"array","element-type":"[2]"},
 {"name":"9","meta-type":"array","element-type":"9"}
]`
	s, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasMember("c", strings.Repeat("self.", 50)+"alt.alt.dangling") {
		t.Error("deep self path not found")
	}
	if s.HasMember("c", "dangling.x") || s.HasEnumValue("c", "alt", "x") || s.HasEnumValue("c", "", "x") {
		t.Error("found something in a dangling or cyclic type")
	}
	if got := len(s.Members("2")); got != 3 {
		t.Errorf("Members(2) = %d members, want 3", got)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(small))
	f.Add([]byte(`[{"name":"c","meta-type":"command","arg-type":"1","ret-type":"1"},{"name":"1","meta-type":"alternate","members":[{"type":"[1]"}]}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	if b, err := os.ReadFile("testdata/qemu-7.2.22-x86_64-machine-none.json.gz"); err == nil {
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			if full, err := io.ReadAll(zr); err == nil {
				// A slice of the real reply keeps the seed small.
				if i := bytes.Index(full[20000:], []byte(`},{`)); i >= 0 {
					f.Add(append(append([]byte(nil), full[:20000+i+1]...), ']'))
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			return
		}
		for _, e := range s.Entities {
			s.Members(e.Name)
			s.EnumValues(e.Name)
			for _, m := range e.Members {
				s.HasMember(e.Name, m.Name)
				s.HasMember(e.Name, m.Name+"."+m.Name)
				s.HasEnumValue(e.Name, m.Name, "a")
				s.HasFeature(e.Name+"."+m.Name, "deprecated")
				s.HasFeature(e.Name+"."+m.Name+"=a", "deprecated")
			}
			s.HasEnumValue(e.Name, "", "a")
			s.HasFeature(e.Name, "deprecated")
		}
	})
}
