package codec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/qapi-go/qapi/runtime/codec"
)

// FuzzUnmarshal feeds arbitrary bytes to the decoder, for every kind of
// generated type. Properties:
//   - nothing panics;
//   - the decoder accepts exactly the valid JSON (json.RawMessage
//     target: compared with encoding/json's json.Valid);
//   - what a decoded value encodes to decodes, and encoding that again
//     gives the same bytes (a decoded value is lossless from the first
//     round on). A decoded value may fail to encode, with a *codec.Error,
//     only because a union or an alternate in it is zero: a required
//     member was missing or null (decoding, like encoding/json's, does
//     not enforce required members, and null leaves a value zero), and
//     a zero union or alternate is not a value.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"name":"c","kind":"circle","radius":1.5,"x":{"y":[1,2]}}`,
		`{"members":[{"name":"a","kind":"circle","radius":"r"}],"mode":"list","name":"g","kind":"group"}`,
		`{"name":"g","kind":"group","mode":"single","only":{"name":"x","kind":"hexagon","n":1}}`,
		`{"name":"old","radius":2}`, `{"name":"g","kind":"group","depth":3}`, `{"kind":""}`,
		`{"id":"a","login":"x","home":"/h","unit":1}`, `[{"id":"a","home":null},{"kind":"service","unit":"u"}]`,
		`[null,"x",{"name":"p","kind":"point"},[],1e3,true]`,
		`{"s":"","l":[],"req":[1],"a":null,"any":{"x":[1,{}]},"alt":null,"empty":{}}`,
		`{"i8":-128,"u16":65535,"f32":0.25}`,
		`"\u00e9\ud83d\ude00\n\u001f"`, `-12`, `true`, `null`, `{}`, `[`, `{"a":`, "\"\xff\"",
	} {
		f.Add([]byte(s))
	}
	types := []reflect.Type{
		reflect.TypeFor[Shape](), reflect.TypeFor[[]Shape](), reflect.TypeFor[Group](), reflect.TypeFor[Value](),
		reflect.TypeFor[IntOrKind](), reflect.TypeFor[Optionals](), reflect.TypeFor[Sized](), reflect.TypeFor[ShapeEvent](),
		reflect.TypeFor[StopEvent](), reflect.TypeFor[Circle](), reflect.TypeFor[string](),
		reflect.TypeFor[Account](), reflect.TypeFor[[]Account](),
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var raw json.RawMessage
		err := codec.Unmarshal(b, &raw)
		if valid := json.Valid(b); (err == nil) != valid {
			t.Fatalf("codec accepts %q: %v; json.Valid: %v", b, err, valid)
		}
		if err == nil && !bytes.Equal(raw, bytes.TrimLeft(bytes.TrimRight(b, " \t\r\n"), " \t\r\n")) {
			t.Fatalf("raw %q kept as %q", b, raw)
		}
		for _, typ := range types {
			v := reflect.New(typ).Interface()
			if codec.Unmarshal(b, v) != nil {
				continue
			}
			out, err := codec.Marshal(v)
			if err != nil {
				var ce *codec.Error
				msg := err.Error()
				if !errors.As(err, &ce) || !strings.HasSuffix(msg, "is not set") && !strings.HasSuffix(msg, "no alternative is set") && !strings.HasSuffix(msg, "is nil") {
					t.Fatalf("%v decoded from %q does not encode: %v", typ, b, err)
				}
				continue
			}
			w := reflect.New(typ).Interface()
			if err := codec.Unmarshal(out, w); err != nil {
				t.Fatalf("%v decoded from %q encodes to %s, which does not decode: %v", typ, b, out, err)
			}
			again, err := codec.Marshal(w)
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("%v from %q: encodes to %s, then to %s (%v)", typ, b, out, again, err)
			}
		}
	})
}
