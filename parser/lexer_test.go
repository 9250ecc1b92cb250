package parser

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// lexAll returns the tokens of text (comments included when docMode) as
// short strings, or the first error.
func lexAll(text string, docMode bool) ([]string, error) {
	lx := newLexer(text, &SourceInfo{File: "t.json", Line: 1, Pragma: &Pragma{}})
	var toks []string
	for {
		if err := lx.accept(!docMode); err != nil {
			return toks, err
		}
		switch lx.tok {
		case tokEOF:
			return toks, nil
		case tokString:
			toks = append(toks, fmt.Sprintf("%d:'%s'", lx.lineInfo().Line, lx.str))
		case tokComment:
			toks = append(toks, fmt.Sprintf("%d:%s", lx.lineInfo().Line, lx.str))
		case tokTrue:
			toks = append(toks, fmt.Sprintf("%d:true", lx.lineInfo().Line))
		case tokFalse:
			toks = append(toks, fmt.Sprintf("%d:false", lx.lineInfo().Line))
		default:
			toks = append(toks, fmt.Sprintf("%d:%c", lx.lineInfo().Line, lx.tok))
		}
	}
}

func TestLexer(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		docMode bool
		want    []string
		err     string
	}{
		{name: "empty", in: "", want: nil},
		{name: "structural", in: "{}[]:,", want: []string{"1:{", "1:}", "1:[", "1:]", "1::", "1:,"}},
		{name: "strings", in: "'a' 'b\\\\c'\n''", want: []string{"1:'a'", "1:'b\\c'", "2:''"}},
		{name: "bools", in: "true false", want: []string{"1:true", "1:false"}},
		{name: "true prefix", in: "truex", err: "t.json:1:5: stray 'x'"},
		{name: "comments skipped", in: "# c\n{ # c2\n}", want: []string{"2:{", "3:}"}},
		{name: "doc comment returned", in: "## x\n# y\n", want: []string{"1:## x"}},
		{name: "comments in doc mode", in: "##\n# y\n#\n##", docMode: true,
			want: []string{"1:##", "2:# y", "3:#", "4:##"}},
		{name: "other white space", in: "\v\f\x1c\u00a0\u3000'a'", want: []string{"1:'a'"}},
		{name: "no trailing newline", in: "'a'", want: []string{"1:'a'"}},
		{name: "unterminated", in: "'abc\n'", err: "t.json:1:1: missing terminating \"'\""},
		{name: "unknown escape", in: "  'a\\n'", err: "t.json:1:3: unknown escape \\n"},
		{name: "escaped quote", in: "'a\\''", err: "t.json:1:1: unknown escape \\'"},
		{name: "tab in string", in: "'a\tb'", err: "t.json:1:1: funny character in string"},
		{name: "non-ASCII in string", in: "'é'", err: "t.json:1:1: funny character in string"},
		{name: "stray word", in: "{ nul#l, }", err: "t.json:1:3: stray 'nul#l'"},
		{name: "stray before quote", in: "x'a'", err: "t.json:1:1: stray 'x'"},
		{name: "stray BOM", in: "\ufeff{}", err: "t.json:1:1: stray '\ufeff'"},
		// The reference's tab rule wraps columns into 1..8.
		{name: "tab columns", in: "'a'\t\tx", err: "t.json:1:4: stray 'x'"},
		{name: "tab columns wrap", in: "\t'abcdefg'\tx", err: "t.json:1:2: stray 'x'"},
		{name: "column counts code points", in: "# ééé\n  \u00a0x", err: "t.json:2:4: stray 'x'"},
		{name: "line numbers", in: "\n\n\n  x", err: "t.json:4:3: stray 'x'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lexAll(tt.in, tt.docMode)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tt.err, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if tt.err == "" {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("tokens (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// readOne reads a one-file schema from memory.
func readOne(text string, mode Mode) ([]*Expr, []*Doc, *diag, error) {
	d := &diag{mode: mode}
	exprs, docs, err := readSchemaFiles(fstest.MapFS{"t.json": {Data: []byte(text)}}, "t.json", d)
	return exprs, docs, d, err
}

func TestValues(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // one per top-level expression
		err  string
	}{
		{name: "nested", in: "{ 'a': [ 'b', true, { 'c': false }, [] ], 'd': {} }",
			want: []string{`{"a": ["b", true, {"c": false}, []], "d": {}}`}},
		{name: "key order kept", in: "{ 'z': 'a', 'a': 'z' }\n{'m':'n'}",
			want: []string{`{"z": "a", "a": "z"}`, `{"m": "n"}`}},
		{name: "CRLF and CR newlines", in: "{ 'a': 'b' }\r\n{ 'c': 'd' }\r{\r'e'\r:'f' }",
			want: []string{`{"a": "b"}`, `{"c": "d"}`, `{"e": "f"}`}},
		{name: "duplicate key", in: "{ 'a': 'b', 'a': 'c' }", err: "t.json:1:18: duplicate key 'a'"},
		{name: "missing colon", in: "{ 'a' 'b' }", err: "t.json:1:7: expected ':'"},
		{name: "missing comma", in: "{ 'a': 'b' 'c' }", err: "t.json:1:12: expected ',' or '}'"},
		{name: "trailing comma object", in: "{ 'a': 'b', }", err: "t.json:1:13: expected string"},
		{name: "non-string key", in: "{ true: 'b' }", err: "t.json:1:3: expected string or '}'"},
		{name: "trailing comma array", in: "{ 'a': [ 'b', ] }", err: "t.json:1:15: expected '{', '[', string, or boolean"},
		{name: "bad array start", in: "{ 'a': [ : ] }", err: "t.json:1:10: expected '{', '[', ']', string, or boolean"},
		{name: "array missing comma", in: "{ 'a': [ 'b' 'c' ] }", err: "t.json:1:14: expected ',' or ']'"},
		{name: "eof in object", in: "{ 'a': ", err: "t.json:1:8: expected '{', '[', string, or boolean"},
		{name: "doc comment in object", in: "{ 'a':\n## x\n'b' }", err: "t.json:2:1: expected '{', '[', string, or boolean"},
		{name: "top-level array", in: "[ 'a' ]", err: "t.json:1: top-level expression must be an object"},
		{name: "top-level string", in: "\n'a'", err: "t.json:2: top-level expression must be an object"},
		{name: "too deep", in: "{ 'a': " + strings.Repeat("[", 2000), err: "t.json:1:1007: nesting too deep"},
		{name: "invalid UTF-8", in: "{ 'a': 'b' }\n\t{ 'c\xff': 'd' }", err: "t.json:2:5: invalid UTF-8 byte 0xff in schema file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exprs, _, _, err := readOne(tt.in, Strict)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tt.err, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if tt.err != "" {
				return
			}
			var got []string
			for _, e := range exprs {
				got = append(got, exprString(e.Data))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLineInfoShared checks that expressions on one line share their
// SourceInfo, as in the reference (where setting the definition of one
// shows in the other).
func TestLineInfoShared(t *testing.T) {
	exprs, _, _, err := readOne("{ 'a': 'b' } { 'c': 'd' }\n{ 'e': 'f' }", Strict)
	if err != nil {
		t.Fatal(err)
	}
	if exprs[0].Info != exprs[1].Info || exprs[1].Info == exprs[2].Info {
		t.Errorf("want infos shared on a line only")
	}
	if exprs[2].Info.Line != 2 {
		t.Errorf("line %d, want 2", exprs[2].Info.Line)
	}
}
