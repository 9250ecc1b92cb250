package compat

import (
	"os"
	"sync"
	"testing"

	"github.com/qapi-go/qapi/introspect"
	"github.com/qapi-go/qapi/parser"
)

var (
	fuzzOnce     sync.Once
	fuzzBindings *parser.Schema
	fuzzErr      error
)

// FuzzCompare feeds arbitrary query-qmp-schema replies to Compare against
// the crafted bindings: whatever a hostile QEMU answers, a report is made
// and nothing panics or loops.
func FuzzCompare(f *testing.F) {
	if b, err := os.ReadFile("testdata/crafted-live.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`[{"name":"both","meta-type":"command","arg-type":"1","ret-type":"[1]"},{"name":"1","meta-type":"alternate","members":[{"type":"1"},{"type":"[1]"}]}]`))
	f.Add([]byte(`[{"name":"boxed","meta-type":"command","arg-type":"1","ret-type":"1"},{"name":"1","meta-type":"object","members":[{"name":"mode","type":"1"}],"tag":"mode","variants":[{"case":"a","type":"1"}]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzOnce.Do(func() {
			fuzzBindings, fuzzErr = parser.Parse("testdata/crafted.json", parser.Options{Mode: parser.Lenient})
		})
		if fuzzErr != nil {
			t.Fatal(fuzzErr)
		}
		live, err := introspect.Decode(data)
		if err != nil {
			return
		}
		if Compare(fuzzBindings, live) == nil {
			t.Fatal("nil report")
		}
	})
}
