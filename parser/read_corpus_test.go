package parser

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// dumpDocs prints docs the way QEMU's test-qapi.py does (without the stub
// sections stage 3 adds).
func dumpDocs(docs []*Doc) string {
	var b strings.Builder
	for _, doc := range docs {
		if doc.Symbol != "" {
			fmt.Fprintf(&b, "doc symbol=%s\n", doc.Symbol)
		} else {
			b.WriteString("doc freeform\n")
		}
		fmt.Fprintf(&b, "    body=\n%s\n", doc.Body.Text)
		for _, s := range doc.Args {
			fmt.Fprintf(&b, "    arg=%s\n%s\n", s.Name, s.Text)
		}
		for _, s := range doc.Features {
			fmt.Fprintf(&b, "    feature=%s\n%s\n", s.Name, s.Text)
		}
		for _, s := range doc.Sections {
			fmt.Fprintf(&b, "    section=%s\n%s\n", s.Kind, s.Text)
		}
	}
	return b.String()
}

// TestReadCorpus holds stage 1 to QEMU's corpus as far as stage 1 alone
// can be: an error stage 1 reports must be the expected error, and a
// schema stage 1 accepts must have the expected doc comments (stub member
// sections, which stage 3 adds, aside).
func TestReadCorpus(t *testing.T) {
	dir := "../testdata/qapi-schema"
	cases, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	t.Chdir(dir)
	for _, c := range cases {
		name := filepath.Base(c)
		base := strings.TrimSuffix(name, ".json")
		wantErr, errErr := os.ReadFile(base + ".err")
		wantOut, errOut := os.ReadFile(base + ".out")
		if errErr != nil || errOut != nil {
			continue // a file a case includes, not a case of its own
		}
		t.Run(base, func(t *testing.T) {
			_, docs, err := readSchemaFiles(nil, name, &diag{})
			if err != nil {
				if diff := cmp.Diff(string(wantErr), err.Error()+"\n"); diff != "" {
					t.Errorf("error mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if len(wantErr) > 0 {
				return // a later stage's error
			}
			want := string(wantOut)
			if i := strings.Index(want, "\ndoc "); i >= 0 {
				want = want[i+1:]
			} else {
				want = ""
			}
			got := dumpDocs(docs)
			if got != want && stripStubs(want) != got {
				t.Errorf("docs mismatch (-want +got):\n%s", cmp.Diff(want, got))
			}
		})
	}
}

// stripStubs drops "arg=X" entries with empty text from a doc dump: they
// may be stubs added by stage 3.
func stripStubs(dump string) string {
	lines := strings.SplitAfter(dump, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "    arg=") && i+1 < len(lines) && lines[i+1] == "\n" &&
			(i+2 >= len(lines) || strings.HasPrefix(lines[i+2], "    ") || strings.HasPrefix(lines[i+2], "doc ") || lines[i+2] == "") {
			i++
			continue
		}
		out = append(out, lines[i])
	}
	return strings.Join(out, "")
}
