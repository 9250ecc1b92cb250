package generator

import (
	doccomment "go/doc/comment"
	"strings"
	"testing"

	"github.com/qapi-go/qapi/parser"
	"github.com/qapi-go/qapi/schema"
)

// oldDocQuirks are doc comments of old releases whose schema text is
// laid out in ways the renderer does not untangle: members documented
// in the body.
var oldDocQuirks = map[string]bool{
	"../testdata/schemas/qemu-7.2.0/qga/qapi-schema.json GuestOSInfo": true,
}

// TestDocStructureKept checks that Go's doc comment reformatting (gofmt)
// reads the generated doc comments as the generator meant them: it
// inserts no blank line between two lines the generator kept together
// (which happens when a list item's continuation line is not indented,
// so the item loses its text to a new paragraph), and no QMP transcript
// meant as a code block becomes list text (losing its layout).
func TestDocStructureKept(t *testing.T) {
	roots := []struct {
		fs   bool
		root string
	}{
		{true, schema.QMPRoot}, {true, schema.QGARoot},
		{false, "../testdata/schemas/qemu-10.0.13/qapi/qapi-schema.json"},
		{false, "../testdata/schemas/qemu-7.2.0/qapi/qapi-schema.json"},
		{false, "../testdata/schemas/qemu-7.2.0/qga/qapi-schema.json"},
		{false, "testdata/testgen/schema.json"},
	}
	for _, r := range roots {
		opts := parser.Options{Mode: parser.Lenient}
		if r.fs {
			opts.FS = schema.Files
		}
		s, err := parser.Parse(r.root, opts)
		if err != nil {
			t.Fatal(err)
		}
		n, err := nameAll(s, Config{Package: "x"}, Detect(s))
		if err != nil {
			t.Fatal(err)
		}
		g := &gen{s: s, n: n, docs: newDocIndex(s, n)}
		check := func(what, text string) {
			if msg := docStructureChange(text); msg != "" && !oldDocQuirks[r.root+" "+what] {
				t.Errorf("%s: %s: %s\n%s", r.root, what, msg, text)
			}
		}
		for _, d := range s.Defs {
			id := n.types[d]
			if c, ok := d.(*parser.Command); ok {
				id = n.methods[c]
			}
			if id == "" {
				continue
			}
			check(d.Common().Name, g.defDoc(id, d, id+" x."))
			// Members: fields, constants and alternatives.
			owner, t := d, parser.Type(nil)
			switch d := d.(type) {
			case *parser.Command:
				if d.Arg != nil {
					t = d.Arg
				}
			case *parser.Event:
				if d.Arg != nil {
					t = d.Arg
				}
			case parser.Type:
				t = d
			}
			switch o := t.(type) {
			case *parser.ObjectType:
				for _, m := range o.Members {
					check(d.Common().Name+"."+m.Name, g.memberDoc(owner, m.Name, "X", m.If, m.Features, "", ""))
				}
			case *parser.EnumType:
				for _, m := range o.Members {
					check(d.Common().Name+"."+m.Name, g.memberDoc(owner, m.Name, "X", m.If, m.Features, "", ""))
				}
			case *parser.AlternateType:
				for _, v := range o.Alternatives.Variants {
					check(d.Common().Name+"."+v.Name, g.memberDoc(owner, v.Name, "X", v.If, nil, "for a JSON string", ""))
				}
			}
		}
	}
}

// docStructureChange renders text as gofmt would and reports how the
// structure changed ("" when it did not).
func docStructureChange(text string) string {
	text = noHeadings(strings.TrimRight(text, "\n "))
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	var p doccomment.Parser
	var pr doccomment.Printer
	doc := p.Parse(strings.Join(strings.Split(text, "\n"), "\n") + "\n")
	for _, b := range doc.Content {
		if l, ok := b.(*doccomment.List); ok {
			for _, it := range l.Items {
				for _, c := range it.Content {
					if para, ok := c.(*doccomment.Paragraph); ok {
						for _, x := range para.Text {
							if pl, ok := x.(doccomment.Plain); ok && (strings.Contains(string(pl), "-> {") || strings.Contains(string(pl), "<- {")) {
								return "a QMP transcript reads as list text"
							}
						}
					}
				}
			}
		}
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(string(pr.Comment(doc)), "\n"), "\n") {
		got = append(got, strings.TrimSpace(strings.TrimPrefix(l, "//")))
	}
	// Walk both; got may only differ by blank lines the generator had.
	i := 0
	for j := 0; j < len(got); j++ {
		for i < len(lines) && lines[i] == "" && got[j] != "" {
			i++
		}
		if i >= len(lines) {
			return "gofmt adds text at the end"
		}
		if got[j] == "" && lines[i] != "" {
			return "gofmt inserts a blank line before " + lines[i]
		}
		i++
	}
	return ""
}
