package generator_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/parser"
	"github.com/qapi-go/qapi/schema"
)

// TestOmitProse: with Config.OmitProse, no sentence of QEMU's doc text
// reaches the output, while the facts do (Since, Deprecated:, the
// build conditions), and the code is the same as without it.
func TestOmitProse(t *testing.T) {
	for _, root := range []string{schema.QMPRoot, schema.QGARoot} {
		t.Run(root, func(t *testing.T) {
			s, err := parser.Parse(root, parser.Options{Mode: parser.Lenient, FS: schema.Files})
			if err != nil {
				t.Fatal(err)
			}
			cfg := generator.Config{Package: "p", Source: root}
			full, err := generator.Generate(s, cfg)
			if err != nil {
				t.Fatal(err)
			}
			cfg.OmitProse = true
			bare, err := generator.Generate(s, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var out, fullOut strings.Builder
			for i, f := range bare {
				if f.Name != full[i].Name {
					t.Fatalf("file %s, want %s", f.Name, full[i].Name)
				}
				if code(f.Content) != code(full[i].Content) {
					t.Errorf("%s: the code differs from the full output's, not just its comments", f.Name)
				}
				out.Write(f.Content)
				fullOut.Write(full[i].Content)
			}
			text := comments(out.String())
			fullText := comments(fullOut.String())

			// Every run of seven words of QEMU's prose that the full
			// output carries is absent here.
			checked, leaked := 0, 0
			for _, doc := range s.Docs {
				for _, sec := range doc.AllSections {
					if sec.Kind == "Since" {
						continue
					}
					w := strings.Fields(sec.Text)
					for i := 0; i+7 <= len(w); i += 7 {
						phrase := strings.Join(w[i:i+7], " ")
						if !strings.Contains(fullText, phrase) {
							continue // reworded by the rST conversion
						}
						checked++
						if strings.Contains(text, phrase) {
							leaked++
							if leaked <= 5 {
								t.Errorf("prose kept: %q (%s)", phrase, sec.Info.Loc())
							}
						}
					}
				}
			}
			if checked < 100 {
				t.Errorf("only %d phrases checked: the test checks nothing", checked)
			}
			if leaked > 0 {
				t.Errorf("%d of %d phrases of QEMU's prose kept", leaked, checked)
			}
			for _, fact := range []string{"Since: ", "is the member \"", "Only available when QEMU is built with"} {
				if root == schema.QGARoot && fact == "Only available when QEMU is built with" {
					fact = "Only available when "
				}
				if !strings.Contains(text, fact) {
					t.Errorf("output lacks %q", fact)
				}
			}
			if root == schema.QMPRoot && !strings.Contains(text, "Deprecated: deprecated in the schema.") {
				t.Errorf("deprecated features are no longer stated")
			}
		})
	}
}

var commentLine = regexp.MustCompile(`(?m)^\s*//.*\n`)

// code is src without its comment lines.
func code(src []byte) string { return commentLine.ReplaceAllString(string(src), "") }

// comments is the text of the comment lines of src, joined with spaces
// (so that phrases across lines match).
func comments(src string) string {
	var b strings.Builder
	for _, l := range commentLine.FindAllString(src, -1) {
		b.WriteString(strings.TrimPrefix(strings.TrimSpace(l), "//"))
		b.WriteByte(' ')
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
