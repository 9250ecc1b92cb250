package qga_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/codec"
	"github.com/qapi-go/qapi/schema"
)

// bindings is this package's typed API as the shared checks see it.
var bindings = qemutest.Bindings{
	Command: func(name string) (qemutest.CommandCodec, bool) {
		c := qga.Commands[name]
		if c == nil {
			return qemutest.CommandCodec{}, false
		}
		return qemutest.CommandCodec{NewArgs: c.NewArgs, NewResult: c.NewResult, FreeForm: c.FreeForm}, true
	},
	DecodeEvent: func(name string, data json.RawMessage) (any, bool, error) {
		v, err := qga.DecodeEvent(runtime.Event{Name: name, Data: data})
		_, raw := v.(runtime.Event)
		return v, !raw, err
	},
	Unmarshal: codec.Unmarshal,
	Marshal:   codec.Marshal,
}

// TestSchemaExamples checks the examples in the QGA docs of each release
// the bindings span, as gen/qmp's test of the same name does for QMP.
// (QGA's docs have had no transcripts but the notation legend so far;
// the test makes sure any that appear are checked.)
func TestSchemaExamples(t *testing.T) {
	kb := qemutest.ReadKnownBad(t, "../../testdata/examples-known-bad.txt", qemutest.ExampleCategories...)
	kb.Add(t, "../../testdata/examples-pending.txt", qemutest.PendingCategories...)
	for _, s := range []qemutest.ExampleSchema{
		{Name: "qga-" + schema.Version(), FS: schema.Files, Root: schema.QGARoot},
		{Name: "qga-10.0.13", FS: os.DirFS("../../testdata/schemas/qemu-10.0.13"), Root: "qga/qapi-schema.json"},
		{Name: "qga-7.2.0", FS: os.DirFS("../../testdata/schemas/qemu-7.2.0"), Root: "qga/qapi-schema.json"},
		{Name: "qga-5.0", FS: os.DirFS("../../testdata/schemas/qga-5.0"), Root: "qapi-schema.json"},
	} {
		t.Run(s.Name, func(t *testing.T) {
			st := qemutest.CheckExamples(t, s, bindings, kb)
			t.Logf("%s: %d examples, %d messages checked, %d fail, all listed: %v",
				s.Name, st.Examples, st.Messages, st.Failed, st.Listed)
		})
	}
}
