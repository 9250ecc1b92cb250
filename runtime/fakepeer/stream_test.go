package fakepeer

import (
	"reflect"
	"testing"
)

func split(chunks [][]byte) []msg {
	var s splitter
	var out []msg
	for _, c := range chunks {
		out = s.feed(c, out)
	}
	return s.flush(out)
}

// FuzzSplitter: splitting the client's stream does not depend on how it
// was cut into reads, and never panics.
func FuzzSplitter(f *testing.F) {
	for _, s := range []string{
		`{"execute":"x"}{"execute":"y","arguments":{"a":"}{\""}}`,
		"\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":1}}",
		`garbage {"a":[1,{"b":"]"}]} [1] "s" 12 `,
		"{\"a\":\"\\\\\"}\xff{\"b",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		whole := split([][]byte{in})
		n := int(step%16) + 1
		var chunks [][]byte
		for i := 0; i < len(in); i += n {
			chunks = append(chunks, in[i:min(i+n, len(in))])
		}
		if got := split(chunks); !reflect.DeepEqual(got, whole) && !(len(got) == 0 && len(whole) == 0) {
			t.Fatalf("chunked %d: %+v\nwhole: %+v", n, got, whole)
		}
		for _, m := range whole {
			if m.kind == kindJSON {
				parseRequest(m.raw) // must not panic
			}
		}
	})
}

func TestSplitter(t *testing.T) {
	got := split([][]byte{[]byte("  {\"a\":\"}\"}\r\n x y \xff[1]\n{\"b")})
	want := []msg{
		{kind: kindJSON, raw: []byte(`{"a":"}"}`)},
		{kind: kindGarbage, raw: []byte("x")},
		{kind: kindGarbage, raw: []byte("y")},
		{kind: kindSync, raw: []byte{0xFF}},
		{kind: kindJSON, raw: []byte("[1]")},
		{kind: kindGarbage, raw: []byte(`{"b`)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
