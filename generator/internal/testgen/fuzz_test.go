package testgen

import (
	"encoding/json"
	"testing"
)

// FuzzUnmarshal feeds arbitrary JSON to the generated union and
// alternate decoders: they must not panic, and what they encode from a
// decoded value must decode again. (Decoding does not enforce required
// members, as encoding/json does not, so a decoded value may not encode.)
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
		for _, v := range []any{new(Shape), new(Inline), new(Group), new(Value), new(Scalar), new(ColorOrCircle), new(Optionals)} {
			if err := json.Unmarshal(b, v); err != nil {
				continue
			}
			out, err := json.Marshal(v)
			if err != nil {
				continue
			}
			if err := json.Unmarshal(out, v); err != nil {
				t.Errorf("%T decoded from %q encodes to %s, which does not decode: %v", v, b, out, err)
			}
		}
	})
}
