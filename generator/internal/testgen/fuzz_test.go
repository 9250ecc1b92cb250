package testgen

import (
	"encoding/json"
	"testing"

	"github.com/qapi-go/qapi/runtime/codec"
)

// FuzzUnmarshal feeds arbitrary JSON to the generated types, through
// package codec and through encoding/json (the methods of unions and
// alternates): nothing may panic, and what a decoded value encodes to
// must decode again and encode to the same bytes. (Decoding does not
// enforce required members, as encoding/json does not, so a decoded
// value may not encode.)
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"name":"c","kind":"circle","radius":1.5}`,
		`{"name":"g","kind":"group","mode":"list","members":[{"name":"a","kind":"point"}]}`,
		`{"name":"g","kind":"group","mode":"single","only":{"name":"x","kind":"hexagon","n":1}}`,
		`{"kind":"circle","id":3,"radius":1}`,
		`{"name":"old","radius":2}`, `{"id":3,"radius":1}`, `{"name":"g","kind":"group","depth":3}`,
		`[null,"x",{"name":"p","kind":"point"},[]]`,
		`-12`, `true`, `"red"`, `null`, `{}`, `[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v := range []any{new(Shape), new(Inline), new(Group), new(Value), new(Scalar), new(ColorOrCircle), new(Optionals), new(DrawArgs), new(ShapeAddedEvent)} {
			json.Unmarshal(b, v) // must not panic
			if err := codec.Unmarshal(b, v); err != nil {
				continue
			}
			out, err := codec.Marshal(v)
			if err != nil {
				continue
			}
			if err := codec.Unmarshal(out, v); err != nil {
				t.Fatalf("%T decoded from %q encodes to %s, which does not decode: %v", v, b, out, err)
			}
			again, err := codec.Marshal(v)
			if err != nil || string(again) != string(out) {
				t.Fatalf("%T decoded from %q encodes to %s, then to %s (%v)", v, b, out, again, err)
			}
		}
	})
}
