package parser

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// docView is what the doc tests compare: every section in textual order
// as "Kind[ name][ tag] @line: text", plus the indexes.
type docView struct {
	Symbol   string
	All      []string
	Args     []string
	Features []string
	Sections []string // kinds
	Returns  bool
	Errors   bool
	Since    bool
}

func viewDoc(doc *Doc) docView {
	v := docView{Symbol: doc.Symbol, Returns: doc.Returns != nil, Errors: doc.Errors != nil, Since: doc.Since != nil}
	for _, s := range doc.AllSections {
		head := s.Kind
		if s.Name != "" {
			head += " " + s.Name
		}
		if s.Tag != "" {
			head += " tag=" + s.Tag
		}
		v.All = append(v.All, fmt.Sprintf("%s @%d: %s", head, s.Info.Line, s.Text))
	}
	for _, s := range doc.Args {
		v.Args = append(v.Args, s.Name)
	}
	for _, s := range doc.Features {
		v.Features = append(v.Features, s.Name)
	}
	for _, s := range doc.Sections {
		v.Sections = append(v.Sections, s.Kind)
	}
	if doc.Body != doc.AllSections[0] {
		v.Symbol += " (body is not the first section)"
	}
	return v
}

// doc builds a doc comment from lines (each gets "# " unless empty).
func docText(lines ...string) string {
	var b strings.Builder
	b.WriteString("##\n")
	for _, l := range lines {
		if l == "" {
			b.WriteString("#\n")
		} else {
			b.WriteString("# " + l + "\n")
		}
	}
	b.WriteString("##\n")
	return b.String()
}

func TestDocParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []docView
	}{
		{name: "free-form", in: docText("= Heading", "", "Text @ref.") + docText(),
			want: []docView{
				{All: []string{"Plain @2: = Heading\n\nText @ref."}},
				{All: []string{"Plain @7: "}},
			}},
		{name: "definition", in: docText(
			"@Foo:", "", "Intro.", "", "@a: the a", "    continued", "", "@b:", "   bee", "",
			"   more bee", "", "Features:", "", "@f: feat", "", "Returns: stuff", "",
			"Errors:", "    - Boom", "", "Since: 1.0", "", "TODO: later", "", "Trailing text.") +
			"{ 'struct': 'Foo' }\n",
			want: []docView{{
				Symbol: "Foo",
				All: []string{
					"Plain @4: Intro.",
					"Member a @6: the a\n    continued",
					"Member b @9:    bee\n\n   more bee",
					"Feature f @16: feat",
					"Returns @18: stuff",
					"Errors @20:     - Boom",
					"Since @23: 1.0",
					"Todo @25: later",
					"Plain @27: Trailing text.",
				},
				Args: []string{"a", "b"}, Features: []string{"f"},
				Sections: []string{"Returns", "Errors", "Since", "Todo", "Plain"},
				Returns:  true, Errors: true, Since: true,
			}}},
		{name: "paragraph swallows tags", in: docText("@Foo:", "Para", "@a: not an arg", "Since: 1") + "{ 'struct': 'Foo' }\n",
			want: []docView{{Symbol: "Foo", All: []string{"Plain @3: Para\n@a: not an arg\nSince: 1"}}}},
		{name: "rst double colon is text", in: docText("@Foo:", "Since:: x") + "{ 'struct': 'Foo' }\n",
			want: []docView{{Symbol: "Foo", All: []string{"Plain @3: Since:: x"}}}},
		{name: "literal block exempt", in: docText("@Foo:", "", ".. qmp-example::", "",
			"   -> { \"execute\": \"a-command-with-a-very-long-name-that-goes-on\" }",
			"   <- { \"return\": {} }. Done") + "{ 'struct': 'Foo' }\n",
			want: []docView{{Symbol: "Foo", All: []string{"Plain @4: .. qmp-example::\n\n   -> { \"execute\": \"a-command-with-a-very-long-name-that-goes-on\" }\n   <- { \"return\": {} }. Done"}}}},
		{name: "url may be long", in: docText("@Foo:", "https://example.org/a/very/long/path/that/does/not/fit/into/seventy/columns") + "{ 'struct': 'Foo' }\n",
			want: []docView{{Symbol: "Foo", All: []string{"Plain @3: https://example.org/a/very/long/path/that/does/not/fit/into/seventy/columns"}}}},
		{name: "exceptions to two spaces", in: docText("@Foo:", "", "1. Item, e.g. Foo", "Mr.  Smith.") + "{ 'struct': 'Foo' }\n",
			want: []docView{{Symbol: "Foo", All: []string{"Plain @4: 1. Item, e.g. Foo\nMr.  Smith."}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, docs, _, err := readOne(tt.in, Strict)
			if err != nil {
				t.Fatal(err)
			}
			var got []docView
			for _, d := range docs {
				got = append(got, viewDoc(d))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("docs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDocErrors(t *testing.T) {
	const def = "{ 'struct': 'Foo' }\n"
	tests := []struct {
		name, in, err string
	}{
		{"junk at start", "## x\n##\n", "t.json:1:1: junk after '##' at start of documentation comment"},
		{"junk at end", "##\n# x\n### \n", "t.json:3:1: junk after '##' at end of documentation comment"},
		{"unterminated", "##\n# x\n{ 'struct': 'Foo' }\n", "t.json:3:1: documentation comment must end with '##'"},
		{"missing space", "##\n#x\n##\n", "t.json:2:1: missing space after #"},
		{"no colon", docText("@Foo") + def, "t.json:2:1: line should end with ':'"},
		{"no name", docText("@:") + def, "t.json:2:1: name required after '@'"},
		{"arg in free-form", docText("Text", "@a: x"), "t.json:3:1: '@a:' not allowed in free-form documentation"},
		{"arg after section", docText("@Foo:", "Since: 1", "@a: x") + def, "t.json:4:1: description of '@a:' follows a section"},
		{"features twice", docText("@Foo:", "Features:", "@f: x", "Features:", "@g: y") + def, "t.json:5:1: duplicated 'Features:' line"},
		{"features empty", docText("@Foo:", "Features:", "", "Since: 1") + def, "t.json:5:1: feature descriptions expected"},
		{"notes", docText("@Foo:", "Note: x") + def, "t.json:3:1: The 'Note' section is no longer supported. Please use rST's '.. note::' or '.. admonition:: notes' directives, or another suitable admonition instead."},
		{"example", docText("@Foo:", "Example:") + def, "t.json:3:1: The 'Example' section is no longer supported. Please use the '.. qmp-example::' directive, or other suitable markup instead."},
		{"duplicated since", docText("@Foo:", "Since: 1", "Since: 2") + def, "t.json:4: duplicated 'Since' section"},
		{"empty tag", docText("@Foo:", "Returns:") + def, "t.json:3: text required after 'Returns:'"},
		{"empty todo", docText("@Foo:", "TODO:") + def, "t.json:3: text required after 'Todo:'"},
		{"empty arg", docText("@Foo:", "@a:", "@b: x") + def, "t.json:3: text required after 'Member:'"},
		{"empty name", docText("@Foo:", "@: x") + def, "t.json:3: invalid parameter name"},
		{"duplicate arg", docText("@Foo:", "@a: x", "@a: y") + def, "t.json:4: 'a' parameter name duplicated"},
		{"de-indent", docText("@Foo:", "@a: x", "    y", "  z") + def, "t.json:5:1: unexpected de-indent (expected at least 4 spaces)"},
		{"long line", docText("@Foo:", strings.Repeat("x", 69)) + def, "t.json:3:1: documentation line longer than 70 characters"},
		{"one space", docText("@Foo:", "One. Two.") + def, "t.json:3:7: Use two spaces between sentences\nIf this not the end of a sentence, please report a bug."},
		{"doc without definition", docText("@Foo:") + docText("x"), "t.json:1: documentation for 'Foo' is not followed by the definition"},
		{"doc before include", docText("@Foo:") + "{ 'include': 'x.json' }\n", "t.json:1: documentation for 'Foo' is not followed by the definition"},
		{"doc at end", def + docText("@Foo:"), "t.json:2: documentation for 'Foo' is not followed by the definition"},
		{"free-form before definition", docText("x") + def, "t.json:1: definition documentation required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := readOne(tt.in, Strict)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tt.err, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDocLenient checks that lenient mode turns every doc problem into a
// warning, keeps reading, and keeps the text.
func TestDocLenient(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []docView
		docOf    []string // symbol of each expression's doc
		warnings []string
	}{
		{name: "7.2 style",
			in: docText("@foo:", "", "Does a thing. Really.", "", "@a: an argument that is described at length, much longer than allowed",
				"", "Returns: nothing", "", "Notes: one", "       two", "", "Since: 7.2", "", "Example:", "",
				"-> { \"execute\": \"foo\", \"arguments\": { \"a\": \"a value that is long\" } }", "<- { \"return\": {} }", "") +
				"{ 'command': 'foo', 'data': { 'a': 'str' } }\n",
			want: []docView{{Symbol: "foo",
				All: []string{
					"Plain @4: Does a thing. Really.",
					"Member a @6: an argument that is described at length, much longer than allowed",
					"Returns @8: nothing",
					"Plain tag=Notes @10: one\n       two",
					"Since @13: 7.2",
					"Plain tag=Example @15: -> { \"execute\": \"foo\", \"arguments\": { \"a\": \"a value that is long\" } }\n<- { \"return\": {} }",
				},
				Args: []string{"a"}, Sections: []string{"Returns", "Plain", "Since", "Plain"}, Returns: true, Since: true}},
			docOf: []string{"foo"},
			warnings: []string{
				"t.json:4:16: Use two spaces between sentences\nIf this not the end of a sentence, please report a bug.",
				"t.json:6:1: documentation line longer than 70 characters",
				"t.json:10:1: The 'Notes' section is no longer supported. Please use rST's '.. note::' or '.. admonition:: notes' directives, or another suitable admonition instead.",
				"t.json:15:1: The 'Example' section is no longer supported. Please use the '.. qmp-example::' directive, or other suitable markup instead.",
			}},
		{name: "unindented continuation",
			in: docText("@Foo:", "", "@a: first line", "continued", "", "more", "", "@b: bee", "", "Since: 1") + "{ 'struct': 'Foo' }\n",
			want: []docView{{Symbol: "Foo",
				All:  []string{"Plain @1: ", "Member a @4: first line\ncontinued\n\nmore", "Member b @9: bee", "Since @11: 1"},
				Args: []string{"a", "b"}, Sections: []string{"Since"}, Since: true}},
			docOf:    []string{"Foo"},
			warnings: []string{"t.json:9:1: description of '@b:' follows a section"}},
		{name: "unterminated block",
			in:    "##\n# @Foo:\n# @a: x\n{ 'struct': 'Foo' }\n",
			want:  []docView{{Symbol: "Foo", All: []string{"Plain @1: ", "Member a @3: x"}, Args: []string{"a"}}},
			docOf: []string{"Foo"},
			warnings: []string{
				"t.json:4:1: documentation comment must end with '##'",
			}},
		{name: "orphans",
			in: docText("@Foo:") + docText("free") + "{ 'struct': 'Bar' }\n" + docText("@Baz:", "@: x", "@a: y", "@a: z", "Since: 1", "Since: 2", "@b: w"),
			want: []docView{
				{Symbol: "Foo", All: []string{"Plain @1: "}},
				{All: []string{"Plain @5: free"}},
				{Symbol: "Baz", All: []string{"Plain @8: ", "Member @10: x", "Member a @11: y", "Member a @12: z",
					"Since @13: 1", "Since @14: 2", "Member b @15: w"},
					Args: []string{"a", "b"}, Sections: []string{"Since", "Since"}, Since: true},
			},
			docOf: []string{""},
			warnings: []string{
				"t.json:1: documentation for 'Foo' is not followed by the definition",
				"t.json:4: definition documentation required",
				"t.json:10: invalid parameter name",
				"t.json:12: 'a' parameter name duplicated",
				"t.json:14: duplicated 'Since' section",
				"t.json:15:1: description of '@b:' follows a section",
				"t.json:8: documentation for 'Baz' is not followed by the definition",
			}},
		{name: "legacy oddities",
			in: "## Junk\n#No space\n# @Foo\n##\n" + docText("@Foo:", "@a: x", "    y", "  z", "Features:", "Features:", "@f: g") + "{ 'struct': 'Foo' }\n",
			want: []docView{
				{All: []string{"Plain @2: No space\n@Foo"}},
				{Symbol: "Foo", All: []string{"Plain @5: ", "Member a @7: x\n    y\n  z", "Feature f @12: g"},
					Args: []string{"a"}, Features: []string{"f"}},
			},
			docOf: []string{"Foo"},
			warnings: []string{
				"t.json:1:1: junk after '##' at start of documentation comment",
				"t.json:2:1: missing space after #",
				"t.json:9:1: unexpected de-indent (expected at least 4 spaces)",
				"t.json:11:1: feature descriptions expected",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exprs, docs, d, err := readOne(tt.in, Lenient)
			if err != nil {
				t.Fatal(err)
			}
			var got []docView
			for _, doc := range docs {
				got = append(got, viewDoc(doc))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("docs (-want +got):\n%s", diff)
			}
			var docOf []string
			for _, e := range exprs {
				s := ""
				if e.Doc != nil {
					s = e.Doc.Symbol
				}
				docOf = append(docOf, s)
			}
			if diff := cmp.Diff(tt.docOf, docOf); diff != "" {
				t.Errorf("expression docs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, errorStrings(d.warnings)); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDocBinding exercises what stage 3 calls: ConnectMember,
// ConnectFeature, EnsureReturns, CheckExpr and Check.
func TestDocBinding(t *testing.T) {
	member := func(name string, info *SourceInfo) *ObjectMember {
		return &ObjectMember{Member: Member{Name: name, Info: info}}
	}
	read := func(t *testing.T, text string, mode Mode) (*Expr, *diag) {
		t.Helper()
		exprs, _, d, err := readOne(text, mode)
		if err != nil {
			t.Fatal(err)
		}
		e := exprs[len(exprs)-1]
		if e.Doc == nil {
			t.Fatal("no doc")
		}
		return e, d
	}

	t.Run("members and stubs", func(t *testing.T) {
		e, _ := read(t, docText("@Foo:", "", "@a: x", "", "Features:", "@f: y", "", "Since: 1")+
			"{ 'struct': 'Foo' }\n{ 'pragma': { 'documentation-exceptions': [ 'Foo' ] } }\n", Strict)
		doc := e.Doc
		a := member("a", e.Info)
		b := &EnumMember{Member: Member{Name: "b", Info: e.Info}}
		f := &Feature{Member: Member{Name: "f", Info: e.Info}}
		for _, err := range []error{doc.ConnectMember(a), doc.ConnectMember(b), doc.ConnectFeature(f), doc.Check()} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if doc.Arg("a").Member != a || doc.Arg("b").Member != b || doc.Feature("f").Member != f {
			t.Error("sections not bound")
		}
		want := []string{"Plain @1: ", "Member a @4: x", "Member b @1: ", "Feature f @7: y", "Since @9: 1"}
		if diff := cmp.Diff(want, viewDoc(doc).All); diff != "" {
			t.Errorf("sections (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"a", "b"}, viewDoc(doc).Args); diff != "" {
			t.Errorf("args (-want +got):\n%s", diff)
		}
	})

	t.Run("stub when only members", func(t *testing.T) {
		// The reference crashes here (IndexError); we append.
		e, _ := read(t, docText("@Foo:", "@a: x")+"{ 'struct': 'Foo' }\n{ 'pragma': { 'documentation-exceptions': [ 'Foo' ] } }\n", Strict)
		if err := e.Doc.ConnectMember(member("b", e.Info)); err != nil {
			t.Fatal(err)
		}
		want := []string{"Plain @1: ", "Member a @3: x", "Member b @1: "}
		if diff := cmp.Diff(want, viewDoc(e.Doc).All); diff != "" {
			t.Errorf("sections (-want +got):\n%s", diff)
		}
	})

	t.Run("errors", func(t *testing.T) {
		e, _ := read(t, docText("@Foo:", "@a: x", "@b: y", "@c: z", "", "Features:", "@f: g")+"{ 'struct': 'Foo' }\n", Strict)
		e.Info.SetDefn("struct", "Foo")
		var got []string
		for _, err := range []error{
			e.Doc.ConnectMember(&EnumMember{Member: Member{Name: "v", Info: e.Info}}),
			e.Doc.ConnectMember(&Variant{Member: Member{Name: "w", Info: e.Info}}),
			e.Doc.ConnectMember(member("m", e.Info)),
			e.Doc.ConnectFeature(&Feature{Member: Member{Name: "g", Info: e.Info}}),
			e.Doc.ConnectMember(member("b", e.Info)),
			e.Doc.Check(),
		} {
			if err != nil {
				got = append(got, err.Error())
			}
		}
		want := []string{
			"t.json: In struct 'Foo':\nt.json:10: value 'v' lacks documentation",
			"t.json: In struct 'Foo':\nt.json:10: branch 'w' lacks documentation",
			"t.json: In struct 'Foo':\nt.json:10: member 'm' lacks documentation",
			"t.json: In struct 'Foo':\nt.json:10: feature 'g' lacks documentation",
			"t.json:3: documented members 'a', 'c' do not exist",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
		e.Doc.ConnectMember(member("a", e.Info))
		e.Doc.ConnectMember(member("c", e.Info))
		if err := e.Doc.Check(); err == nil || err.Error() != "t.json:8: documented feature 'f' does not exist" {
			t.Errorf("Check() = %v", err)
		}
	})

	t.Run("lenient", func(t *testing.T) {
		e, d := read(t, docText("@Foo:", "@a: x", "", "Returns: r")+"{ 'struct': 'Foo' }\n", Lenient)
		for _, err := range []error{
			e.Doc.ConnectMember(member("m", e.Info)),
			e.Doc.ConnectFeature(&Feature{Member: Member{Name: "g", Info: e.Info}}),
			e.Doc.CheckExpr(e),
			e.Doc.Check(),
		} {
			if err != nil {
				t.Errorf("lenient error: %v", err)
			}
		}
		want := []string{
			"t.json:7: member 'm' lacks documentation",
			"t.json:7: feature 'g' lacks documentation",
			"t.json:5: 'Returns' section is only valid for commands",
			"t.json:3: documented member 'a' does not exist",
		}
		if diff := cmp.Diff(want, errorStrings(d.warnings)); diff != "" {
			t.Errorf("warnings (-want +got):\n%s", diff)
		}
		if e.Doc.Arg("m") == nil || e.Doc.Arg("m").Member == nil {
			t.Error("no stub for m")
		}
	})

	t.Run("CheckExpr", func(t *testing.T) {
		tests := []struct{ in, err string }{
			{docText("@foo:", "Returns: x") + "{ 'command': 'foo', 'returns': 'int' }", ""},
			{docText("@foo:", "Returns: x") + "{ 'command': 'foo' }", "t.json:3: 'Returns' section, but command doesn't return anything"},
			{docText("@foo:", "Errors: x") + "{ 'command': 'foo' }", ""},
			{docText("@Foo:", "Returns: x") + "{ 'struct': 'Foo' }", "t.json:3: 'Returns' section is only valid for commands"},
			{docText("@Foo:", "Errors: x") + "{ 'event': 'Foo' }", "t.json:3: 'Errors' section is only valid for commands"},
		}
		for _, tt := range tests {
			e, _ := read(t, tt.in, Strict)
			got := ""
			if err := e.Doc.CheckExpr(e); err != nil {
				got = err.Error()
			}
			if got != tt.err {
				t.Errorf("CheckExpr(%q) = %q, want %q", tt.in, got, tt.err)
			}
		}
	})

	t.Run("EnsureReturns", func(t *testing.T) {
		tests := []struct {
			lines []string
			want  []string // kinds in AllSections
		}{
			{[]string{"@foo:"}, []string{"Plain", "Returns"}},
			{[]string{"@foo:", "", "Body", "", "Since: 1"}, []string{"Plain", "Returns", "Since"}},
			{[]string{"@foo:", "@a: x", "@b: y", "", "Since: 1"}, []string{"Plain", "Member", "Member", "Returns", "Since"}},
			{[]string{"@foo:", "Features:", "@f: x", "", "Errors: y", "", "Since: 1"}, []string{"Plain", "Feature", "Returns", "Errors", "Since"}},
			{[]string{"@foo:", "Since: 1", "", "Features:", "@f: x", "@g: y"}, []string{"Plain", "Since", "Feature", "Returns", "Feature"}},
			{[]string{"@foo:", "Returns: x"}, []string{"Plain", "Returns"}},
		}
		for _, tt := range tests {
			e, _ := read(t, docText(tt.lines...)+"{ 'command': 'foo', 'returns': 'int' }", Strict)
			e.Doc.EnsureReturns(e.Info)
			var got []string
			for _, s := range e.Doc.AllSections {
				got = append(got, s.Kind)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%q: (-want +got):\n%s", tt.lines, diff)
			}
		}
	})
}

// TestDocArgConcurrent reads a doc with enough arguments to be indexed
// from several goroutines at once, as the generator does when it renders
// files in parallel: under -race the lazily built index must not race.
func TestDocArgConcurrent(t *testing.T) {
	doc := &Doc{}
	for i := range 100 {
		doc.Args = append(doc.Args, &DocSection{Kind: "Member", Name: fmt.Sprintf("m%d", i)})
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				name := fmt.Sprintf("m%d", (i+g*25)%100)
				if s := doc.Arg(name); s == nil || s.Name != name {
					t.Errorf("Arg(%q) = %v", name, s)
					return
				}
			}
		}()
	}
	wg.Wait()
}
