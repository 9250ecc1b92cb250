package qemujson

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func nested(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// tokensArray is an array of n tokens: "[" "0" ("," "0")* "]".
func tokensArray(n int) string {
	k := (n - 1) / 2 // elements
	return "[" + strings.Repeat("0,", k-1) + "0]"
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Error // nil: valid
	}{
		{"object", `{"execute":"query-status"}`, nil},
		{"spaces", " {\t\"a\" :\r\n[ 1 , -0.5e+3, true,false ,null, {} ,[] ] } ", nil},
		{"scalar", `"x"`, nil},
		{"numbers", `[0,-0,1.5,1E5,1e-5,123456789012345678901234567890]`, nil},
		{"escapes", `"\"\\\/\b\f\n\r\t\u00e9\u0000\uD83D\uDE00"`, nil},
		{"utf8", `"é 😀 \u00e9"`, nil},
		{"nesting at the limit", nested(MaxNesting), nil},
		{"nesting over the limit", nested(MaxNesting + 1), &Error{MaxNesting, "nested deeper than QEMU's limit of 1024 arrays and objects"}},
		{"objects over the limit", strings.Repeat(`{"a":`, MaxNesting+1) + "1" + strings.Repeat("}", MaxNesting+1),
			&Error{5 * MaxNesting, "nested deeper than QEMU's limit of 1024 arrays and objects"}},
		{"byte 0xff", "{\"a\":\"x\xffy\"}", &Error{7, "byte 0xff in a string: QEMU's lexer rejects it"}},
		{"byte 0xfe", "\"\xfe\"", &Error{1, "byte 0xfe in a string: QEMU's lexer rejects it"}},
		{"invalid utf8", "\"a\xc3(\"", &Error{2, "invalid UTF-8 in a string"}},
		{"overlong NUL", "\"\xc0\x80\"", &Error{1, "invalid UTF-8 in a string"}},
		{"surrogate bytes", "\"\xed\xa0\x80\"", &Error{1, "invalid UTF-8 in a string"}},
		{"noncharacter", "\"\uFFFE\"", &Error{1, "code point U+fffe in a string: QEMU rejects noncharacters"}},
		{"noncharacter FDD0", "\"\uFDD0\"", &Error{1, "code point U+fdd0 in a string: QEMU rejects noncharacters"}},
		{"escaped noncharacter", `"\uffff"`, &Error{1, `"\\uffff" in a string: QEMU accepts no surrogate or noncharacter code point`}},
		{"lone high surrogate", `"\ud800x"`, &Error{1, `"\\ud800" in a string: QEMU accepts no surrogate or noncharacter code point`}},
		{"lone low surrogate", `"\udc00"`, &Error{1, `"\\udc00" in a string: QEMU accepts no surrogate or noncharacter code point`}},
		{"high then non-low", `"\ud800\u0041"`, &Error{1, `"\\ud800" in a string: QEMU accepts no surrogate or noncharacter code point`}},
		{"control character", "\"a\nb\"", &Error{2, "control character 0x0a in a string"}},
		{"single quotes", `{'a':1}`, &Error{1, `unexpected '\'', expecting a string key`}},
		{"escaped quote", `"\'"`, &Error{1, `invalid escape "\\'" in a string`}},
		{"bad hex", `"\u12"`, &Error{1, `invalid \u escape in a string`}},
		{"unterminated", `{"a":"b`, &Error{5, "unterminated string"}},
		{"missing colon", `{"a" 1}`, &Error{5, "unexpected '1', expecting ':'"}},
		{"trailing comma", `[1,]`, &Error{3, "unexpected ']', expecting a value"}},
		{"two values", `{} {}`, &Error{3, "unexpected '{' after the JSON value"}},
		{"bad literal", `[tru]`, &Error{1, `invalid literal "tru"`}},
		{"long literal", `[truex]`, &Error{1, `invalid literal "truex"`}},
		{"leading zero", `[01]`, &Error{2, "unexpected '1', expecting ',' or ']'"}},
		{"bare minus", `[-]`, &Error{2, "unexpected ']' in a number"}},
		{"empty", ``, &Error{0, "unexpected end of JSON, expecting a value"}},
		{"unclosed", `{"a":[1`, &Error{7, "unexpected end of JSON, expecting ',' or ']'"}},
		{"tokens at the limit", tokensArray(MaxTokenCount), nil},
		{"tokens over the limit", tokensArray(MaxTokenCount + 2), &Error{MaxTokenCount, "over QEMU's limit of 2097152 JSON tokens in one message"}},
		{"size at the limit", `"` + strings.Repeat("a", MaxTokenSize-3) + `"`, nil},
		{"size over the limit", `"` + strings.Repeat("a", MaxTokenSize-2) + `"`, &Error{0, "over QEMU's limit of 67108863 bytes of JSON tokens in one message"}},
		{"whitespace is not counted", ` "` + strings.Repeat("a", MaxTokenSize-3) + `" `, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate([]byte(tt.in))
			var got *Error
			if err != nil {
				got = err.(*Error)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate: (-want +got)\n%s", diff)
			}
		})
	}
}

func TestValidateDoesNotAllocate(t *testing.T) {
	msg := []byte(`{"execute":"qom-set","arguments":{"path":"/machine","property":"x","value":[1,"é",{"a":null}]}}`)
	if n := testing.AllocsPerRun(100, func() { Validate(msg) }); n != 0 {
		t.Errorf("Validate allocates %v times", n)
	}
}

func TestValidCodePoint(t *testing.T) {
	for _, tt := range []struct {
		r    rune
		want bool
	}{
		{0, true}, {'a', true}, {0xD7FF, true}, {0xD800, false}, {0xDFFF, false}, {0xE000, true},
		{0xFDCF, true}, {0xFDD0, false}, {0xFDEF, false}, {0xFDF0, true}, {0xFFFD, true},
		{0xFFFE, false}, {0xFFFF, false}, {0x1FFFE, false}, {0x10FFFD, true}, {0x10FFFF, false},
		{0x110000, false}, {-1, false},
	} {
		if got := ValidCodePoint(tt.r); got != tt.want {
			t.Errorf("ValidCodePoint(%#x) = %v, want %v", tt.r, got, tt.want)
		}
	}
}

// depth is the deepest nesting of a valid JSON text.
func depth(b []byte) int {
	d, m := 0, 0
	inStr := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case !inStr && (c == '{' || c == '['):
			d++
			m = max(m, d)
		case !inStr && (c == '}' || c == ']'):
			d--
		}
	}
	return m
}

// validRunes reports whether every rune of b, and every \u escape, is
// one QEMU accepts (b is valid JSON).
func validRunes(b []byte) bool {
	var s any
	if json.Unmarshal(b, &s) != nil {
		return false
	}
	ok := true
	var walk func(v any)
	check := func(s string) {
		for _, r := range s {
			if !ValidCodePoint(r) {
				ok = false
			}
		}
	}
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			check(v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				check(k)
				walk(e)
			}
		}
	}
	walk(s)
	// Unmarshal turns a lone surrogate escape into U+FFFD: look for
	// escapes Unmarshal would have replaced.
	return ok && !bytes.Contains(b, []byte(`\ud`)) && !bytes.Contains(b, []byte(`\uD`)) &&
		!bytes.Contains(bytes.ToLower(b), []byte(`\ufff`)) && !bytes.Contains(bytes.ToLower(b), []byte(`\ufdd`)) &&
		!bytes.Contains(bytes.ToLower(b), []byte(`\ufde`))
}

// FuzzValidate holds Validate to encoding/json's grammar: what it
// accepts is valid JSON of valid UTF-8 within QEMU's nesting limit, and
// it accepts every such small text whose code points QEMU accepts.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		`{"execute":"query-status"}`, `[1,2,{"a":"b"}]`, "\"\xff\"", `"\ud800"`, nested(1030),
		`{"a":[true,false,null,-1.5e3]}`, "\"\xc3\xa9\"", `{"a" :1 }`, `"\uFFFF"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Validate(b)
		if err == nil {
			if !json.Valid(b) {
				t.Fatalf("Validate accepts %q, which is not valid JSON", b)
			}
			if !utf8.Valid(b) {
				t.Fatalf("Validate accepts %q, which is not valid UTF-8", b)
			}
			if depth(b) > MaxNesting {
				t.Fatalf("Validate accepts %q, nested over the limit", b)
			}
			return
		}
		if e, ok := err.(*Error); !ok || e.Offset < 0 || e.Offset > len(b) {
			t.Fatalf("Validate(%q) = %#v: not an *Error within the text", b, err)
		}
		if json.Valid(b) && utf8.Valid(b) && depth(b) <= MaxNesting && !bytes.Contains(b, []byte("\xc0\x80")) &&
			!bytes.Contains(b, []byte(`\'`)) && validRunes(b) {
			t.Fatalf("Validate(%q) = %v, but the text is valid JSON QEMU accepts", b, err)
		}
	})
}
