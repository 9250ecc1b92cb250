package qemujson

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// out is what a Streamer emitted, one string per message: the standard
// JSON, or "error: " and QEMU's description.
func feedAll(lim Limits, chunks ...string) []string {
	s := NewStreamer(lim)
	var got []string
	emit := func(m *Message) {
		if m.Err != "" {
			got = append(got, "error: "+m.Err)
			return
		}
		got = append(got, string(m.JSON))
	}
	for _, c := range chunks {
		s.Feed([]byte(c), emit)
	}
	return got
}

// The expected errors are what QEMU 7.2 and 11.1 answer for the same
// input (checked against qemu-system-x86_64 -qmp on the reference machine).
func TestStreamer(t *testing.T) {
	tests := []struct {
		name   string
		lim    Limits
		chunks []string
		want   []string
	}{
		{"one per line", Limits{}, []string{"{\"execute\":\"a\"}\n{\"execute\":\"b\"}\n"},
			[]string{`{"execute":"a"}`, `{"execute":"b"}`}},
		{"shared line, no newline", Limits{}, []string{`{"a":1}{"b":2} [3]`},
			[]string{`{"a":1}`, `{"b":2}`, `[3]`}},
		{"spanning lines and chunks", Limits{}, []string{"{\"exe", "cute\":\n \"x\",\r\n", "\"id\": [1, 2]\n}"},
			[]string{`{"execute":"x","id":[1,2]}`}},
		{"scalar waits for its end", Limits{}, []string{"1", "2 ", "true\n"},
			[]string{`12`, `true`}},
		{"single quotes", Limits{}, []string{`{'a': 'it\'s "q"'}`},
			[]string{`{"a":"it's \"q\""}`}},
		{"escapes", Limits{}, []string{`["\u00e9\ud83d\ude00\/\n\u0000"]`},
			[]string{"[\"é😀/\\n\\u0000\"]"}},
		{"modified UTF-8 NUL", Limits{}, []string{"[\"a\xc0\x80b\"]"}, []string{`["a\u0000b"]`}},
		{"duplicate key", Limits{}, []string{`{"id": 1, "id": 2}`}, []string{"error: JSON parse error, duplicate key"}},
		{"duplicate key in a large object", Limits{}, []string{`{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"j":1,"k":1,"l":1,"m":1,"n":1,"o":1,"p":1,"q":1,"r":1,"c":2}`},
			[]string{"error: JSON parse error, duplicate key"}},
		{"same key in nested objects", Limits{}, []string{`{"a":{"a":{"a":1}},"b":{"a":2}}`},
			[]string{`{"a":{"a":{"a":1}},"b":{"a":2}}`}},
		{"0xFF mid-text", Limits{}, []string{"{\"execute\": \"qu\xff{\"execute\":\"x\"}"},
			[]string{"error: JSON parse error, stray '\"qu\xff'", `{"execute":"x"}`}},
		{"0xFF between texts", Limits{}, []string{"\xff{}"}, []string{"error: JSON parse error, stray '\xff'", `{}`}},
		{"control character", Limits{}, []string{"{\x01}"},
			[]string{"error: JSON parse error, stray '\x01'", "error: JSON parse error, expecting value"}},
		{"lone closing brace", Limits{}, []string{"}"}, []string{"error: JSON parse error, expecting value"}},
		{"bad keyword", Limits{}, []string{`{"a": nul}`}, []string{"error: JSON parse error, invalid keyword 'nul'"}},
		{"missing separator", Limits{}, []string{`{"a": 1 "b": 2}`}, []string{"error: JSON parse error, expected separator in dict"}},
		{"key not a string", Limits{}, []string{`{1: 2}`}, []string{"error: JSON parse error, key is not a string in object"}},
		{"bad escape", Limits{}, []string{`["\x"]`}, []string{"error: JSON parse error, invalid escape sequence in string"}},
		{"bad unicode escape", Limits{}, []string{`["\u12"]`}, []string{`error: JSON parse error, \u12" is not a valid Unicode character`}},
		{"lone surrogate", Limits{}, []string{`["\ud800"]`}, []string{`error: JSON parse error, \ud800 is not a valid Unicode character`}},
		{"invalid UTF-8", Limits{}, []string{"[\"\xc3\x28\"]"}, []string{"error: JSON parse error, invalid UTF-8 sequence in string"}},
		{"leading zero", Limits{}, []string{"[01]"}, []string{"error: JSON parse error, stray '01'", "error: JSON parse error, expecting value"}},
		{"nesting limit", Limits{Nesting: 3}, []string{"[[[1]]] [[[[1]]]]"},
			// As QEMU (checked with 1025 levels): the rest of the text
			// is read afresh, a scalar and stray closing brackets.
			[]string{"[[[1]]]", "error: JSON nesting depth limit exceeded", "1", "error: JSON parse error, expecting value", "error: JSON parse error, expecting value", "error: JSON parse error, expecting value", "error: JSON parse error, expecting value"}},
		{"token size limit", Limits{TokenSize: 16}, []string{`["0123456789", "0123456789"] {}`},
			[]string{"error: JSON token size limit exceeded", "error: JSON parse error, expecting value", `{}`}},
		{"token count limit", Limits{TokenCount: 4}, []string{`[1,2,3] [1] `},
			[]string{"error: JSON token count limit exceeded", "3", "error: JSON parse error, expecting value", "[1]"}},
		{"0xFF flood", Limits{}, []string{"\xff\xff\xff{}"},
			[]string{"error: JSON parse error, stray '\xff'", "error: JSON parse error, stray '\xff'", "error: JSON parse error, stray '\xff'", "{}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := feedAll(tt.lim, tt.chunks...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// Byte at a time gives the same result.
			if diff := cmp.Diff(tt.want, feedAll(tt.lim, splitBytes(strings.Join(tt.chunks, ""))...)); diff != "" {
				t.Errorf("byte at a time (-want +got):\n%s", diff)
			}
		})
	}
}

func splitBytes(s string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = s[i : i+1]
	}
	return out
}

func TestMembers(t *testing.T) {
	s := NewStreamer(Limits{})
	var got [][2]string
	s.Feed([]byte(`{"execute": "x", "arguments": {"id": {"k": 1}, "z": [{"q": 2}]}, "id": 'a\u0062'}`), func(m *Message) {
		for _, mem := range m.Members {
			got = append(got, [2]string{string(mem.Key), string(mem.Value)})
		}
	})
	want := [][2]string{{"execute", `"x"`}, {"arguments", `{"id":{"k":1},"z":[{"q":2}]}`}, {"id", `"ab"`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWriter(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"return":{"a":[1,2],"b":"x"},"id":1}`, `{"return": {"a": [1, 2], "b": "x"}, "id": 1}`},
		{`["é😀\u003c\n\u0000\u007f"]`, `["\u00E9\uD83D\uDE00<\n\u0000\u007F"]`},
		{`["a:b,c"]`, `["a:b,c"]`},
	}
	for _, tt := range tests {
		if got := string(AppendQEMUStyle(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("AppendQEMUStyle(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if got, want := string(AppendString(nil, "stray '\xff' é")), `"stray '\uFFFD' \u00E9"`; got != want {
		t.Errorf("AppendString = %s, want %s", got, want)
	}
}

func TestDictOrder(t *testing.T) {
	// Orders QEMU prints (members inserted in the order given).
	tests := [][]string{
		{"return", "id"},
		{"class", "desc"},
		{"running", "singlestep", "status"},
		{"major", "minor", "micro"},
		{"event", "timestamp", "data"},
		{"seconds", "microseconds"},
	}
	want := [][]string{
		{"return", "id"},
		{"class", "desc"},
		{"status", "singlestep", "running"},
		{"micro", "minor", "major"},
		{"timestamp", "event", "data"},
		{"seconds", "microseconds"},
	}
	for i, keys := range tests {
		var ms []Member
		for _, k := range keys {
			ms = append(ms, Member{Key: []byte(k)})
		}
		var got []string
		for _, j := range DictOrder(ms, nil) {
			got = append(got, keys[j])
		}
		if diff := cmp.Diff(want[i], got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", keys, diff)
		}
	}
}
