package parser

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse feeds arbitrary text to the whole front end (Parse and Dump)
// as the root file t.json of an in-memory file system that also holds
// the corpus's include/sub-module.json. In neither mode may it panic or
// hang; every error must be an *Error; lenient mode must accept what
// strict mode accepts, with the same dump and no warning; and a schema's
// Filter{} copy must dump as the schema does.
func FuzzParse(f *testing.F) {
	cases, _ := filepath.Glob("../testdata/qapi-schema/*.json")
	sort.Strings(cases)
	for _, c := range cases {
		if data, err := os.ReadFile(c); err == nil {
			f.Add(data)
		}
	}
	sub, err := os.ReadFile("../testdata/qapi-schema/include/sub-module.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{
			"t.json":                  {Data: data},
			"include/sub-module.json": {Data: sub},
		}
		parse := func(mode Mode) (*Schema, string, error) {
			start := time.Now()
			s, err := Parse("t.json", Options{Mode: mode, FS: fsys})
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("mode %d: Parse took %v", mode, d)
			}
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("mode %d: error %T %v is not an *Error", mode, err, err)
				}
				if err.Error() == "" {
					t.Fatalf("mode %d: empty error message", mode)
				}
				return nil, "", err
			}
			var buf bytes.Buffer
			Dump(&buf, s)
			return s, buf.String(), nil
		}
		_, strictDump, strictErr := parse(Strict)
		ls, lenientDump, lenientErr := parse(Lenient)
		if lenientErr == nil {
			// A whole copy is the same schema.
			c, err := ls.Filter(Filter{})
			if err != nil {
				t.Fatalf("Filter{}: %v", err)
			}
			var buf bytes.Buffer
			Dump(&buf, c)
			if diff := cmp.Diff(lenientDump, buf.String()); diff != "" {
				t.Errorf("the Filter{} copy dumps differently (-original +copy):\n%s", diff)
			}
		}
		if strictErr != nil {
			return
		}
		if lenientErr != nil {
			t.Fatalf("strict accepts, lenient fails: %v", lenientErr)
		}
		if len(ls.Warnings) != 0 {
			t.Errorf("strict accepts, lenient warns: %v", ls.Warnings[0])
		}
		if diff := cmp.Diff(strictDump, lenientDump); diff != "" {
			t.Errorf("dumps differ (-strict +lenient):\n%s", diff)
		}
	})
}
