package parser

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestExamples(t *testing.T) {
	type msg struct {
		FromClient bool
		Text       string
		Line       int
	}
	type ex struct {
		Title    string
		Messages []msg
	}
	tests := []struct {
		name string
		doc  string // the doc comment of command 'cmd', without '#'
		want []ex
	}{{
		name: "directive",
		doc: `Since: 1.0

.. qmp-example::

    -> { "execute": "cmd" }
    <- { "return": {} }`,
		want: []ex{{Messages: []msg{{true, `{ "execute": "cmd" }`, 2}, {false, `{ "return": {} }`, 3}}}},
	}, {
		name: "title, continuation lines, closing brace at the arrow's indentation",
		doc: `.. qmp-example::
   :title: Two lines

    -> { "execute": "cmd",
         "arguments": { "a": 1 } }
    <- { "return": [
           1
    ] }`,
		want: []ex{{Title: "Two lines", Messages: []msg{
			{true, "{ \"execute\": \"cmd\",\n         \"arguments\": { \"a\": 1 } }", 3},
			{false, "{ \"return\": [\n           1\n    ] }", 5},
		}}},
	}, {
		name: "annotated: prose between literal blocks is not a message",
		doc: `.. qmp-example::
   :annotated:

   First::

    -> { "execute": "cmd" }
    <- { "return": {} }

   Then, with a note -> not a message::

    -> { "execute": "cmd", "arguments": {} }

.. qmp-example::

    <- { "event": "E",
         "timestamp": { "seconds": 1, "microseconds": 2 } }`,
		want: []ex{
			{Messages: []msg{{true, `{ "execute": "cmd" }`, 5}, {false, `{ "return": {} }`, 6}, {true, `{ "execute": "cmd", "arguments": {} }`, 10}}},
			{Messages: []msg{{false, "{ \"event\": \"E\",\n         \"timestamp\": { \"seconds\": 1, \"microseconds\": 2 } }", 14}}}, // Line counts in the section, which holds both
		},
	}, {
		name: "a blank line inside an unfinished value",
		doc: `.. qmp-example::

    <- { "return": [

           1 ] }
    -> { "execute": "cmd" }

    text after the transcript`,
		want: []ex{{Messages: []msg{{false, "{ \"return\": [\n\n           1 ] }", 2}, {true, `{ "execute": "cmd" }`, 5}}}},
	}, {
		name: "legacy Example section",
		doc: `Example:

1. Caption

-> { "execute": "cmd",
    "arguments": { "a": "->" } }
<- { "return": {} }

Since: 1.0`,
		want: []ex{{Messages: []msg{{true, "{ \"execute\": \"cmd\",\n    \"arguments\": { \"a\": \"->\" } }", 2}, {false, `{ "return": {} }`, 4}}}},
	}, {
		name: "elided content is kept as written",
		doc: `.. qmp-example::

    <- { "return": [ 1,
                     ... ] }`,
		want: []ex{{Messages: []msg{{false, "{ \"return\": [ 1,\n                     ... ] }", 2}}}},
	}, {
		name: "a literal block that is no example",
		doc: `Text::

    -> { "execute": "cmd" }`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("##\n# @cmd:\n#\n")
			for _, l := range strings.Split(tt.doc, "\n") {
				b.WriteString(strings.TrimRight("# "+l, " ") + "\n")
			}
			b.WriteString("##\n{ 'command': 'cmd' }\n")
			fsys := fstest.MapFS{"s.json": {Data: []byte(b.String())}}
			s, err := Parse("s.json", Options{Mode: Lenient, FS: fsys})
			if err != nil {
				t.Fatal(err)
			}
			var got []ex
			for _, e := range s.Docs[0].Examples() {
				g := ex{Title: e.Title}
				for _, m := range e.Messages {
					g.Messages = append(g.Messages, msg(m))
				}
				got = append(got, g)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Examples() (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzExamples feeds arbitrary section text to Examples: it must not
// panic, and every message must start on an arrow line of the text.
func FuzzExamples(f *testing.F) {
	f.Add(".. qmp-example::\n   :title: t\n\n    -> { \"execute\": \"x\" }\n    <- { \"return\": [\n\n    1 ] }", "")
	f.Add("-> {\n<- }\n\n  -> [", "Example")
	f.Add(".. qmp-example::\n.. qmp-example::\n   :annotated:\n\n   x::\n\n    <- \"\\\"", "")
	f.Fuzz(func(t *testing.T, text, tag string) {
		s := &DocSection{Kind: SectionPlain, Text: text, Tag: tag}
		doc := &Doc{AllSections: []*DocSection{s}}
		lines := strings.Split(text, "\n")
		for _, ex := range doc.Examples() {
			if ex.Section != s {
				t.Fatalf("example of another section")
			}
			for _, m := range ex.Messages {
				if m.Line < 0 || m.Line >= len(lines) {
					t.Fatalf("message line %d of %d", m.Line, len(lines))
				}
				fromClient, first, ok := arrow(lines[m.Line])
				if !ok || fromClient != m.FromClient || !strings.HasPrefix(m.Text, first) {
					t.Fatalf("message %+v does not start on line %q", m, lines[m.Line])
				}
			}
		}
	})
}
