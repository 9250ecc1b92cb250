package codec_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/runtime/codec"
)

func ptr[T any](v T) *T { return &v }

// decodeAs decodes in into a new value of v's type (v a pointer).
func decodeAs(v any, in string) (any, error) {
	p := reflect.New(reflect.TypeOf(v).Elem()).Interface()
	err := codec.Unmarshal([]byte(in), p)
	return p, err
}

// TestRoundTrip decodes each input and encodes it again: the output is
// the input, byte for byte (inputs are written in the codec's order:
// known members in field order, then unknown ones sorted).
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		typ any
		in  string
	}{
		{new(Circle), `{"radius":1.5}`},
		{new(Circle), `{"radius":1.5,"from-the-future":{"a":[1,2,"x"]},"vendor":null}`},
		{new(Square), `{"side":-3,"rounded":false}`},
		{new(Sized), `{"i8":-128,"u16":65535,"f32":0.25}`},
		{new(Shape), `{"name":"c","kind":"circle","radius":1.5}`},
		{new(Shape), `{"name":"c","tag":"t","kind":"circle","radius":1.5,"x":1}`},
		{new(Shape), `{"name":"p","kind":"point"}`},
		{new(Shape), `{"name":"h","kind":"hexagon","regular":true,"sides":6}`},
		{new(Shape), `{"name":"old","radius":2}`},
		{new(Shape), `{"name":"old"}`},
		{new(Shape), `{"name":"g","kind":"group","mode":"list","members":[{"name":"a","kind":"square","side":1},{"name":"b","kind":"point"}]}`},
		{new(Shape), `{"name":"g","kind":"group","mode":"single","only":{"name":"a","kind":"circle","radius":0}}`},
		{new(Shape), `{"name":"g","kind":"group","mode":"tree","depth":3}`},
		{new(Shape), `{"name":"g","kind":"group","depth":3}`},
		{new(Shape), `{"name":"g","kind":"group","mode":"list","members":[],"x":[]}`},
		{new([]Shape), `[{"name":"a","kind":"point"},{"name":"b","radius":1}]`},
		// An older release's struct form: base and branch "user",
		// without the discriminator.
		{new(Account), `{"id":"a","login":"x","home":"/h"}`},
		{new(Account), `{"id":"a","login":"x","extra":1}`},
		{new(Account), `{"id":"a"}`},
		{new(Account), `{"id":"a","unit":"u"}`},
		{new(Account), `{"id":"a","kind":"user","login":"x"}`},
		{new(Account), `{"id":"a","kind":"service","unit":"u","login":"x"}`},
		{new([]Account), `[{"id":"a","login":"x"},{"id":"b","kind":"service","unit":"u"}]`},
		{new(Value), `null`},
		{new(Value), `"s"`},
		{new(Value), `-1.5e-7`},
		{new(Value), `true`},
		{new(Value), `{"name":"p","kind":"point"}`},
		{new(Value), `[null,"x",[],{"name":"p","kind":"point"}]`},
		{new(IntOrKind), `12`},
		{new(IntOrKind), `"ultraviolet"`},
		{new(Optionals), `{"req":[],"any":null}`},
		{new(Optionals), `{"s":"","l":[],"req":[1],"a":null,"any":{"x":[1,{}]},"alt":null,"empty":{}}`},
		{new(Optionals), `{"req":[],"any":{"spaced": [1, 2]}}`},
		{new(ShapeEvent), `{"name":"e","kind":"square","side":2,"x":"y"}`},
		{new(StopEvent), `{}`},
		{new(StopEvent), `{"reason":"future"}`},
		{new(plain), `{"a":1,"m":{"x":2}}`},
		{new(string), `"\u00e9\ud83d\ude00\n\u001f\"\\<>&\u2028"`},
		{new(json.RawMessage), `{"a" : [ 1 ]}`},
	} {
		v, err := decodeAs(tc.typ, tc.in)
		if err != nil {
			t.Errorf("%T from %s: %v", tc.typ, tc.in, err)
			continue
		}
		out, err := codec.Marshal(v)
		if err != nil {
			t.Errorf("%T from %s: encode: %v", tc.typ, tc.in, err)
			continue
		}
		want := tc.in
		if _, ok := tc.typ.(*string); ok {
			want = "\"\u00e9\U0001F600\\n\\u001f\\\"\\\\<>&\\u2028\""
		}
		if string(out) != want {
			t.Errorf("%T: round trip\n got %s\nwant %s", tc.typ, out, want)
		}
	}
}

// TestDecoded checks what decoding puts where.
func TestDecoded(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`{"radius":2,"new":[1, 2]}`, &Circle{Radius: 2, UnknownMembers: codec.Members{"new": json.RawMessage("[1, 2]")}}},
		{`{"kind":"circle","radius":1,"name":"a","extra":true}`, &Shape{
			ShapeBase: ShapeBase{Base: Base{Name: "a"}, Kind: "circle"}, Circle: &Circle{Radius: 1},
			UnknownMembers: codec.Members{"extra": json.RawMessage("true")}}},
		// Branch members before the discriminator.
		{`{"radius":1,"name":"a","kind":"circle"}`, &Shape{
			ShapeBase: ShapeBase{Base: Base{Name: "a"}, Kind: "circle"}, Circle: &Circle{Radius: 1}}},
		{`{"name":"h","kind":"hexagon","sides":6}`, &Shape{
			ShapeBase: ShapeBase{Base: Base{Name: "h"}, Kind: "hexagon"}, UnknownMembers: codec.Members{"sides": json.RawMessage("6")}}},
		{`{"name":"p","kind":"point"}`, &Shape{ShapeBase: ShapeBase{Base: Base{Name: "p"}, Kind: "point"}}},
		{`{"name":"old"}`, &Shape{ShapeBase: ShapeBase{Base: Base{Name: "old"}}, UnknownMembers: codec.Members{}}},
		{`{"name":"e","kind":"","radius":1}`, &Shape{ShapeBase: ShapeBase{Base: Base{Name: "e"}}, UnknownMembers: codec.Members{"radius": json.RawMessage("1")}}},
		// Without the discriminator, a value with a member of the
		// untagged branch is that branch, wherever its members are.
		{`{"login":"x","id":"a","extra":1,"home":"/h"}`, &Account{ID: "a", User: &User{Login: "x", Home: ptr("/h")},
			UnknownMembers: codec.Members{"extra": json.RawMessage("1")}}},
		{`{"id":"a","unit":"u","login":"x"}`, &Account{ID: "a", User: &User{Login: "x"}, UnknownMembers: codec.Members{"unit": json.RawMessage(`"u"`)}}},
		{`{"id":"a","kind":"","home":"/h"}`, &Account{ID: "a", User: &User{Home: ptr("/h")}}},
		// Without any of its members, the value is not the branch.
		{`{"id":"a","unit":"u"}`, &Account{ID: "a", UnknownMembers: codec.Members{"unit": json.RawMessage(`"u"`)}}},
		{`{"id":"a"}`, &Account{ID: "a", UnknownMembers: codec.Members{}}},
		// With the discriminator, the branch it selects.
		{`{"login":"x","id":"a","kind":"service","unit":"u"}`, &Account{ID: "a", Kind: "service", Service: &Service{Unit: "u"},
			UnknownMembers: codec.Members{"login": json.RawMessage(`"x"`)}}},
		// The nested union keeps its own unknown members.
		{`{"members":[],"mode":"list","name":"g","kind":"group","x":1}`, &Shape{
			ShapeBase: ShapeBase{Base: Base{Name: "g"}, Kind: "group"},
			Group:     &Group{Mode: "list", List: &GroupList{Members: []Shape{}}, UnknownMembers: codec.Members{"x": json.RawMessage("1")}}}},
		{`{"name":"g","kind":"group","depth":3}`, &Shape{
			ShapeBase: ShapeBase{Base: Base{Name: "g"}, Kind: "group"},
			Group:     &Group{UnknownMembers: codec.Members{"depth": json.RawMessage("3")}}}},
		{`{"name":"e","kind":"square","side":2,"x":"y"}`, &ShapeEvent{Shape{
			ShapeBase: ShapeBase{Base: Base{Name: "e"}, Kind: "square"}, Square: &Square{Side: 2},
			UnknownMembers: codec.Members{"x": json.RawMessage(`"y"`)}}}},
		{`{"reason":"future"}`, &StopEvent{UnknownMembers: codec.Members{"reason": json.RawMessage(`"future"`)}}},
		{`{"req":null,"any":null,"a":null,"l":null,"s":null}`, &Optionals{Any: json.RawMessage("null"), A: json.RawMessage("null")}},
		{`{"req":[],"any":7,"l":[]}`, &Optionals{Req: []int64{}, L: []int64{}, Any: json.RawMessage("7")}},
		{`[null,{"name":"a","kind":"point"},[]]`, &Value{L: []Value{{Null: true}, {O: &Shape{ShapeBase: ShapeBase{Base: Base{Name: "a"}, Kind: "point"}}}, {L: []Value{}}}}},
		{"\"a\\u0000\\ud800b\xff\"", ptr("a\x00\uFFFDb\uFFFD")},
		{`{"a":1,"A":2}`, &plain{A: 2}}, // encoding/json's: case-insensitive
		{`{"Radius":1,"radius":2}`, &Circle{Radius: 2, UnknownMembers: codec.Members{"Radius": json.RawMessage("1")}}},
	} {
		got, err := decodeAs(tc.want, tc.in)
		if err != nil {
			t.Errorf("%T from %s: %v", tc.want, tc.in, err)
			continue
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%T from %s (-want +got):\n%s", tc.want, tc.in, d)
		}
	}
}

// TestDecodeStartsFromZero: nothing of an earlier value survives.
func TestDecodeStartsFromZero(t *testing.T) {
	s := Shape{ShapeBase: ShapeBase{Base: Base{Name: "x", Tag: ptr("t")}, Kind: "square"}, Square: &Square{Side: 1}, UnknownMembers: codec.Members{"a": nil}}
	if err := codec.Unmarshal([]byte(`{"name":"c","kind":"circle","radius":1}`), &s); err != nil {
		t.Fatal(err)
	}
	want := Shape{ShapeBase: ShapeBase{Base: Base{Name: "c"}, Kind: "circle"}, Circle: &Circle{Radius: 1}}
	if d := cmp.Diff(want, s); d != "" {
		t.Error(d)
	}
}

func TestDecodeErrors(t *testing.T) {
	deep := strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	for _, tc := range []struct {
		typ  any
		in   string
		want string
	}{
		{new(Circle), ``, "codec: decoding codec_test.Circle (offset 0): unexpected end of JSON input, looking for beginning of value"},
		{new(Circle), `{"radius":"big"}`, `codec: decoding codec_test.Circle at radius (offset 10): cannot decode a string into float64`},
		{new(Circle), `{"radius":1}x`, `(offset 12): invalid character 'x' after top-level value`},
		{new(Circle), `{"radius":1,}`, `(offset 12): invalid character '}' looking for a string`},
		{new(Circle), `{"radius" 1}`, `invalid character '1' looking for ':' after object key`},
		{new(Circle), `{"radius":1 "a":2}`, `looking for ',' or '}' after object member`},
		{new(Circle), `{"x":[1,}`, `at x (offset 8): invalid character '}' looking for beginning of value`},
		{new(Circle), `{"x":"\q"}`, `invalid escape 'q' in string`},
		{new(Circle), `{"x":"a` + "\n" + `"}`, `invalid control character '\n' in string`},
		{new(Circle), `{"x":01}`, `invalid character '1' looking for ',' or '}'`},
		{new(Circle), `{"x":-}`, `looking for a digit`},
		{new(Circle), `{"x":1.}`, `looking for a digit after the decimal point`},
		{new(Circle), `{"x":1e}`, `looking for a digit in the exponent`},
		{new(Circle), `{"x":nul}`, `looking for literal null`},
		{new(Circle), `{"x":"\u12"}`, `looking for a hexadecimal digit`},
		{new(Circle), `{"x":"abc`, `unexpected end of JSON input, looking for the end of a string`},
		{new(Sized), `{"i8":128}`, `at i8 (offset 6): cannot decode number 128 into int8`},
		{new(Sized), `{"u16":-1}`, `cannot decode number -1 into uint16`},
		{new(Sized), `{"u16":1.5}`, `cannot decode number 1.5 into uint16`},
		{new(Sized), `{"f32":1e39}`, `cannot decode number 1e39 into float32`},
		{new(Shape), `{"name":"g","kind":"group","mode":"list","members":[{"name":1}]}`, `at members[0].name (offset 60): cannot decode a number into string`},
		{new(Shape), `{"members":[{"name":"a","kind":"circle","radius":"r"}],"mode":"list","name":"g","kind":"group"}`, `decoding codec_test.Shape at members[0].radius (offset 49)`},
		{new(Shape), `{"radius":"r","kind":"circle"}`, `at radius (offset 10): cannot decode a string into float64`},
		{new(Shape), `{"kind":"circle","kind":"square"}`, `at kind (offset 24): discriminator "kind" appears twice`},
		{new(Account), `{"id":"a","home":1,"login":"x"}`, `decoding codec_test.Account at home (offset 17): cannot decode a number into string`},
		{new([]Account), `[{"id":"a","login":"x"},{"home":1,"login":"y"}]`, `decoding []codec_test.Account at [1].home (offset 32)`},
		{new(Shape), `[]`, `cannot decode an array into codec_test.Shape`},
		{new(Value), `1x`, `invalid character 'x' after top-level value`},
		{new(IntOrKind), `true`, `codec_test.IntOrKind: no alternative accepts a boolean`},
		{new(IntOrKind), `null`, `no alternative accepts null`},
		{new(IntOrKind), `1.5`, `cannot decode number 1.5 into int64`},
		{new(IntOrKind), `?`, `invalid character '?' looking for beginning of value`},
		{new(Optionals), `{"any":` + deep + `}`, `at any (offset 10006): nested deeper than 10000 levels`},
		{new(Value), deep, `nested deeper than 10000 levels`},
		{new(plain), `{"a":"x"}`, `json: cannot unmarshal string`},
		{new(json.RawMessage), `{"a":1`, `unexpected end of JSON input, looking for ',' or '}' after object member`},
	} {
		_, err := decodeAs(tc.typ, tc.in)
		var ce *codec.Error
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ce) {
			t.Errorf("%T from %.40s: got error %v, want one containing %q", tc.typ, tc.in, err, tc.want)
		}
	}
	if err := codec.Unmarshal([]byte(`{}`), Circle{}); err == nil {
		t.Error("Unmarshal into a non-pointer")
	}
	if err := codec.Unmarshal([]byte(`{}`), (*Circle)(nil)); err == nil {
		t.Error("Unmarshal into a nil pointer")
	}
	if err := codec.Unmarshal([]byte(`{}`), nil); err == nil {
		t.Error("Unmarshal into nil")
	}
}

func TestEncode(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{Optionals{}, `{"req":[],"any":null}`},
		{&Optionals{L: []int64{}, S: ptr(""), Alt: Value{Null: true}, A: json.RawMessage(" [ ] ")}, `{"s":"","l":[],"req":[],"a":[ ],"any":null,"alt":null}`},
		{GroupList{}, `{"members":[]}`},
		{Shape{ShapeBase: ShapeBase{Base: Base{Name: "g"}, Kind: "group"}, Group: &Group{Mode: "list", List: &GroupList{}}}, `{"name":"g","kind":"group","mode":"list","members":[]}`},
		{Shape{ShapeBase: ShapeBase{Base: Base{Name: "p"}, Kind: "point"}, UnknownMembers: codec.Members{"z": json.RawMessage("1"), "a": json.RawMessage("2")}}, `{"name":"p","kind":"point","a":2,"z":1}`},
		{Shape{ShapeBase: ShapeBase{Kind: "square"}}, ``}, // Square has a required member
		{Account{ID: "a", User: &User{Login: "x"}}, `{"id":"a","login":"x"}`},
		{Account{ID: "a", Kind: "user", User: &User{Login: "x"}}, `{"id":"a","kind":"user","login":"x"}`},
		{Account{ID: "a", User: &User{}, UnknownMembers: codec.Members{}}, `{"id":"a","login":""}`},
		{Sized{F32: ptr(float32(0.1))}, `{"i8":0,"u16":0,"f32":0.1}`},
		{Value{N: ptr(1e21)}, `1e+21`},
		{Value{N: ptr(1e-7)}, `1e-7`},
		{Value{N: ptr(123456789.0)}, `123456789`},
		{[]Value{{B: ptr(false)}}, `[false]`},
		{ShapeEvent{}, ``},
		{StopEvent{}, `{}`},
		{plain{A: 1}, `{"a":1}`},
		{nil, `null`},
		{(*Circle)(nil), `null`},
		{map[string]int{"b": 1, "a": 2}, `{"a":2,"b":1}`},
	} {
		got, err := codec.Marshal(tc.v)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Marshal(%#v) = %s, want an error", tc.v, got)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("Marshal(%#v) = %s, %v; want %s", tc.v, got, err, tc.want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	cyc := &Value{}
	cyc.L = []Value{{O: &Shape{ShapeBase: ShapeBase{Kind: "group"}, Group: &Group{Mode: "list", List: &GroupList{}}}}}
	s := &cyc.L[0].O.Group.List.Members
	*s = []Shape{{ShapeBase: ShapeBase{Kind: "group"}}}
	(*s)[0].Group = cyc.L[0].O.Group // a cycle through pointers
	for _, tc := range []struct {
		v    any
		want string
	}{
		{Shape{ShapeBase: ShapeBase{Kind: "circle"}, Square: &Square{}}, `codec: encoding codec_test.Shape: codec_test.Shape: branch field Square is set but kind is "circle"`},
		{Shape{ShapeBase: ShapeBase{Kind: "circle"}}, `codec_test.Shape: kind is "circle" but branch field Circle is nil`},
		{Shape{ShapeBase: ShapeBase{Kind: "group"}}, `branch field Group is nil`},
		{Shape{Circle: &Circle{}}, `branch field Circle is set but discriminator kind is not set`},
		{Shape{}, `codec_test.Shape: discriminator kind is not set`},
		{Shape{Circle: &Circle{}, UnknownMembers: codec.Members{}}, `discriminator kind is not set`},
		{Shape{ShapeBase: ShapeBase{Kind: "circle"}, Circle: &Circle{}, UnknownMembers: codec.Members{"radius": json.RawMessage("1")}}, `UnknownMembers has "radius", which is a member of codec_test.Shape`},
		{Account{ID: "a"}, `codec_test.Account: discriminator kind is not set`},
		{Account{ID: "a", Service: &Service{}}, `codec_test.Account: branch field Service is set but discriminator kind is not set`},
		{Account{ID: "a", User: &User{}, Service: &Service{}}, `branch field Service is set but discriminator kind is not set`},
		{Account{ID: "a", Kind: "service", User: &User{}}, `branch field User is set but kind is "service"`},
		{Account{ID: "a", User: &User{}, UnknownMembers: codec.Members{"login": json.RawMessage(`"x"`)}}, `UnknownMembers has "login", which is a member of codec_test.Account`},
		{Shape{ShapeBase: ShapeBase{Kind: "circle"}, Circle: &Circle{}, UnknownMembers: codec.Members{"tag": json.RawMessage("1")}}, `UnknownMembers has "tag"`},
		{Circle{UnknownMembers: codec.Members{"x": json.RawMessage("{")}}, `at x: json.RawMessage is not one JSON value`},
		{Circle{UnknownMembers: codec.Members{"x": json.RawMessage("1 2")}}, `not one JSON value`},
		{Optionals{Any: json.RawMessage("nul")}, `at any: json.RawMessage is not one JSON value`},
		{Value{}, `codec_test.Value: no alternative is set`},
		{Value{Null: true, S: ptr("")}, `codec_test.Value: both Null and S are set`},
		{[]Value{{}, {N: ptr(1.0)}}, `at [0]: codec_test.Value: no alternative is set`},
		{Optionals{Alt: Value{L: []Value{{}}}}, `at alt[0]: codec_test.Value`},
		{Circle{Radius: posInf()}, `at radius: unsupported value +Inf`},
		{cyc, `nested deeper than 10000 levels (a cycle?)`},
		{plain{M: map[string]int{}}, ``},
		{make(chan int), `json: unsupported type: chan int`},
	} {
		_, err := codec.Marshal(tc.v)
		if tc.want == "" {
			if err != nil {
				t.Errorf("Marshal(%T): %v", tc.v, err)
			}
			continue
		}
		var ce *codec.Error
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ce) {
			t.Errorf("Marshal(%T): got error %v, want one containing %q", tc.v, err, tc.want)
		}
	}
}

func posInf() float64 { var z float64; return 1 / z }

// TestEncodingJSON: encoding/json on the types gives the wire form too:
// through the methods for unions and alternates; plain structs skip
// their unknown members.
func TestEncodingJSON(t *testing.T) {
	in := `{"name":"g","kind":"group","mode":"list","members":[{"name":"a","kind":"circle","radius":1,"n":1}],"x":2}`
	var s Shape
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(s)
	if err != nil || string(out) != in {
		t.Errorf("json round trip: %s, %v", out, err)
	}
	var c Circle
	if err := json.Unmarshal([]byte(`{"radius":1,"x":2}`), &c); err != nil || c.UnknownMembers != nil {
		t.Errorf("%+v %v", c, err)
	}
	c.UnknownMembers = codec.Members{"x": json.RawMessage("2")}
	if out, _ := json.Marshal(c); string(out) != `{"radius":1}` {
		t.Errorf("plain struct: %s", out)
	}
	if out, _ := codec.Marshal(c); string(out) != `{"radius":1,"x":2}` {
		t.Errorf("plain struct with codec: %s", out)
	}
}

func TestValue(t *testing.T) {
	var c Circle
	if err := json.Unmarshal([]byte(`{"radius":1,"x":2}`), &codec.Value{V: &c}); err != nil || string(c.UnknownMembers["x"]) != "2" {
		t.Errorf("%+v %v", c, err)
	}
	if out, err := json.Marshal(codec.Value{V: c}); err != nil || string(out) != `{"radius":1,"x":2}` {
		t.Errorf("%s %v", out, err)
	}
	if codec.Args(nil) != nil || codec.Args((*Circle)(nil)) != nil {
		t.Error("Args of nothing is not nil")
	}
	if a := codec.Args(&c); a != any(codec.Value{V: &c}) {
		t.Errorf("Args = %#v", a)
	}
}
