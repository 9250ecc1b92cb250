package testgen

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/codec"
)

// roundTrip decodes in into a new T, re-encodes it and checks that the
// result is the same JSON (as a value: key order does not matter).
func roundTrip[T any](t *testing.T, in string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatalf("decode %s: %v", in, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %+v: %v", v, err)
	}
	sameJSON(t, string(out), in)
	return v
}

func sameJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("bad JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad JSON %s: %v", want, err)
	}
	if d := cmp.Diff(w, g); d != "" {
		t.Errorf("JSON differs (-want +got):\n%s\ngot:  %s\nwant: %s", d, got, want)
	}
}

func encode(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %+v: %v", v, err)
	}
	return string(b)
}

func TestAbsentVersusZero(t *testing.T) {
	sameJSON(t, encode(t, Optionals{}), `{"req-any":null}`)
	zero := Optionals{
		S: Ptr(""), I: Ptr(int64(0)), U8: Ptr(uint8(0)), Sz: Ptr(uint64(0)), B: Ptr(false), N: Ptr(0.0),
		A: json.RawMessage("null"), L: []int64{}, E: Ptr(Color("")), ReqAny: json.RawMessage(`{"x":[1]}`),
		Alt: Value{Null: true}, Sc: Scalar{I: Ptr(int64(0))},
	}
	const zeroJSON = `{"s":"","i":0,"u8":0,"sz":0,"b":false,"n":0,"a":null,"l":[],"e":"","req-any":{"x":[1]},"alt":null,"sc":0}`
	sameJSON(t, encode(t, zero), zeroJSON)

	v := roundTrip[Optionals](t, zeroJSON)
	if v.S == nil || v.B == nil || v.L == nil || len(v.L) != 0 || string(v.A) != "null" || !v.Alt.Null || v.Sc.I == nil {
		t.Errorf("present zero values decoded as absent: %+v", v)
	}
	v = roundTrip[Optionals](t, `{"req-any":7}`)
	if v.S != nil || v.B != nil || v.L != nil || v.A != nil || !reflect.ValueOf(v.Alt).IsZero() || string(v.ReqAny) != "7" {
		t.Errorf("absent values decoded as present: %+v", v)
	}
}

// TestRequiredListNil: a required array member left nil goes out as [],
// not null, which QEMU rejects ("Invalid parameter type for 'actions',
// expected: array"); decoding keeps what came.
func TestRequiredListNil(t *testing.T) {
	sameJSON(t, encode(t, DrawArgs{}), `{"shapes":[]}`)
	sameJSON(t, encode(t, &DrawArgs{}), `{"shapes":[]}`)
	sameJSON(t, encode(t, GroupMany{}), `{"members":[]}`)
	g := Shape{ShapeBase: ShapeBase{Base: Base{Name: "g"}, Kind: ShapeKindGroup}, Group: &Group{Mode: GroupKindList, List: &GroupMany{}}}
	sameJSON(t, encode(t, g), `{"name":"g","kind":"group","mode":"list","members":[]}`)
	sameJSON(t, encode(t, []GroupMany{{}}), `[{"members":[]}]`)
	v := roundTrip[DrawArgs](t, `{"shapes":[],"value":null}`)
	if v.Shapes == nil || !v.Value.Null {
		t.Errorf("%+v", v)
	}
	sameJSON(t, encode(t, Listed{Mode: GroupKindList}), `{"mode":"list","items":[]}`)
	sameJSON(t, encode(t, Listed{Mode: GroupKindSingle, Single: &Circle{}}), `{"mode":"single","items":[],"radius":0}`)
	roundTrip[Listed](t, `{"mode":"single","items":[1],"radius":2}`)
	f := &fakeCaller{}
	if _, err := (*Conn)(nil).WithCaller(f).Draw(context.Background(), &DrawArgs{}); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, f.args, `{"shapes":[]}`)
}

func TestAnyUnchanged(t *testing.T) {
	const in = `{"req-any":{"b":[1,2.5e3,"x",null,true],"a":{}},"a":[  ]}`
	v := roundTrip[Optionals](t, in)
	if string(v.ReqAny) != `{"b":[1,2.5e3,"x",null,true],"a":{}}` {
		t.Errorf("any not kept verbatim: %s", v.ReqAny)
	}
}

func TestEnumUnknownValue(t *testing.T) {
	v := roundTrip[Optionals](t, `{"req-any":1,"e":"ultraviolet"}`)
	if *v.E != "ultraviolet" {
		t.Errorf("E = %q", *v.E)
	}
	if Color2d != "2d" || ColorXExperimental != "x-experimental" {
		t.Error("enum constants")
	}
}

// TestUnknownMembersEncodingJSON: encoding/json, which has no hook into a
// plain struct, decodes and encodes its known members and skips
// UnknownMembers; unions keep them (their methods use the codec).
func TestUnknownMembersEncodingJSON(t *testing.T) {
	var c Circle
	if err := json.Unmarshal([]byte(`{"radius":2,"from-the-future":true}`), &c); err != nil || c.Radius != 2 || c.UnknownMembers != nil {
		t.Fatalf("%+v %v", c, err)
	}
	c.UnknownMembers = codec.Members{"x": json.RawMessage("1")}
	sameJSON(t, encode(t, c), `{"radius":2}`)
	var s Shape
	if err := json.Unmarshal([]byte(`{"name":"c","kind":"circle","radius":2,"from-the-future":true}`), &s); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, encode(t, s), `{"name":"c","kind":"circle","radius":2,"from-the-future":true}`)
}

func TestUnionFlat(t *testing.T) {
	s := Shape{ShapeBase: ShapeBase{Base: Base{Name: "c"}, Kind: ShapeKindCircle}, Circle: &Circle{Radius: 1.5}}
	sameJSON(t, encode(t, s), `{"name":"c","kind":"circle","radius":1.5}`)
	got := roundTrip[Shape](t, `{"name":"c","kind":"circle","radius":1.5,"color":"red","tag":"t"}`)
	if got.Circle == nil || got.Circle.Radius != 1.5 || *got.Color != ColorRed || *got.Tag != "t" {
		t.Errorf("%+v", got)
	}
	in := roundTrip[Inline](t, `{"kind":"circle","id":3,"radius":1}`)
	if in.Circle == nil || *in.ID != 3 {
		t.Errorf("%+v", in)
	}
}

func TestUnionEmptyBranch(t *testing.T) {
	s := Shape{ShapeBase: ShapeBase{Base: Base{Name: "p"}, Kind: ShapeKindPoint}}
	sameJSON(t, encode(t, s), `{"name":"p","kind":"point"}`)
	got := roundTrip[Shape](t, `{"name":"p","kind":"point"}`)
	if got.UnknownMembers != nil {
		t.Errorf("UnknownMembers = %v", got.UnknownMembers)
	}
	// Inline has no branch for square: base only.
	roundTrip[Inline](t, `{"kind":"square"}`)
}

func TestUnionInUnionAndListsOfUnions(t *testing.T) {
	const in = `{"name":"g","kind":"group","mode":"list","members":[
		{"name":"a","kind":"circle","radius":1},
		{"name":"b","kind":"group","mode":"single","only":{"name":"c","kind":"square","side":2,"rounded":false}},
		{"name":"d","kind":"point"}]}`
	s := roundTrip[Shape](t, in)
	if s.Group == nil || s.Group.List == nil || len(s.Group.List.Members) != 3 {
		t.Fatalf("%+v", s)
	}
	inner := s.Group.List.Members[1]
	if inner.Group == nil || inner.Group.Single == nil || inner.Group.Single.Only.Square == nil || inner.Group.Single.Only.Square.Side != 2 {
		t.Errorf("nested: %+v", inner)
	}
	var list []Shape
	if err := json.Unmarshal([]byte(`[{"name":"a","kind":"point"},{"name":"b","kind":"circle","radius":3}]`), &list); err != nil || list[1].Circle.Radius != 3 {
		t.Fatalf("%+v %v", list, err)
	}
}

func TestUnionUnknownMembers(t *testing.T) {
	s := roundTrip[Shape](t, `{"name":"h","kind":"hexagon","tag":"x","sides":6,"regular":true}`)
	if s.Kind != "hexagon" || *s.Tag != "x" {
		t.Errorf("base: %+v", s)
	}
	if d := cmp.Diff(codec.Members{"sides": json.RawMessage("6"), "regular": json.RawMessage("true")}, s.UnknownMembers); d != "" {
		t.Errorf("UnknownMembers: %s", d)
	}
	// A nested union with an unknown discriminator keeps only its own
	// branch members.
	g := roundTrip[Shape](t, `{"name":"g","kind":"group","mode":"tree","depth":3}`)
	if d := cmp.Diff(codec.Members{"depth": json.RawMessage("3")}, g.Group.UnknownMembers); d != "" {
		t.Errorf("nested UnknownMembers: %s", d)
	}
	// Known value without a branch field, with members from a newer QEMU.
	roundTrip[Shape](t, `{"name":"p","kind":"point","x":1}`)
}

func TestUnionErrors(t *testing.T) {
	for _, tc := range []struct {
		v    Shape
		want string
	}{
		{Shape{ShapeBase: ShapeBase{Kind: ShapeKindCircle}, Square: &Square{}}, "Shape: branch field Square is set but kind is \"circle\""},
		{Shape{ShapeBase: ShapeBase{Kind: ShapeKindCircle}}, "Shape: kind is \"circle\" but branch field Circle is nil"},
		{Shape{Circle: &Circle{}}, "Shape: branch field Circle is set but discriminator kind is not set"},
		{Shape{}, "Shape: discriminator kind is not set"},
		{Shape{ShapeBase: ShapeBase{Base: Base{Name: "x"}}}, "Shape: discriminator kind is not set"},
		{Shape{Square: &Square{}, UnknownMembers: codec.Members{}}, "Shape: branch field Square is set but discriminator kind is not set"},
		{Shape{ShapeBase: ShapeBase{Kind: ShapeKindCircle}, Circle: &Circle{}, UnknownMembers: codec.Members{"radius": json.RawMessage("1")}}, `UnknownMembers has "radius", which is a member of testgen.Shape`},
		{Shape{ShapeBase: ShapeBase{Kind: ShapeKindCircle}, Circle: &Circle{}, UnknownMembers: codec.Members{"name": json.RawMessage("1")}}, `UnknownMembers has "name", which is a member of testgen.Shape`},
		{Shape{ShapeBase: ShapeBase{Kind: ShapeKindCircle}, Circle: &Circle{}, UnknownMembers: codec.Members{"x": json.RawMessage("{")}}, `json.RawMessage is not one JSON value`},
	} {
		_, err := json.Marshal(tc.v)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Marshal(%+v) = %v, want error containing %q", tc.v, err, tc.want)
		}
	}
	var s Shape
	if err := json.Unmarshal([]byte(`{"name":"x","kind":"circle","radius":"big"}`), &s); err == nil {
		t.Error("bad branch member accepted")
	}
}

// TestUnionMissingDiscriminator: a reply without the discriminator (an
// older QEMU's, from before the type became a union) decodes into the base
// and UnknownMembers, and re-encodes without the discriminator.
func TestUnionMissingDiscriminator(t *testing.T) {
	s := roundTrip[Shape](t, `{"name":"old","radius":2,"tag":"t"}`)
	if s.Kind != "" || s.Name != "old" || s.Tag == nil || *s.Tag != "t" || s.Circle != nil {
		t.Errorf("base: %+v", s)
	}
	if d := cmp.Diff(codec.Members{"radius": json.RawMessage("2")}, s.UnknownMembers); d != "" {
		t.Errorf("UnknownMembers: %s", d)
	}
	// Base members only: UnknownMembers is empty but not nil, so the
	// value encodes again.
	s = roundTrip[Shape](t, `{"name":"old"}`)
	if s.UnknownMembers == nil || len(s.UnknownMembers) != 0 {
		t.Errorf("UnknownMembers = %#v, want empty, not nil", s.UnknownMembers)
	}
	roundTrip[Inline](t, `{}`)
	// The discriminator is the first member of Inline's base.
	in := roundTrip[Inline](t, `{"id":3,"radius":1}`)
	if in.ID == nil || *in.ID != 3 || in.Kind != "" || string(in.UnknownMembers["radius"]) != "1" {
		t.Errorf("Inline: %+v", in)
	}
	roundTrip[Inline](t, `{"radius":1}`)
	// A nested union without its own discriminator.
	g := roundTrip[Shape](t, `{"name":"g","kind":"group","depth":3}`)
	if g.Group == nil || g.Group.Mode != "" || string(g.Group.UnknownMembers["depth"]) != "3" {
		t.Errorf("nested: %+v", g.Group)
	}
	// In a list, next to values with a discriminator.
	roundTrip[[]Shape](t, `[{"name":"a","sides":[{"kind":""}]},{"name":"b","kind":"point"}]`)
	// A decoded value completed by the user encodes as any other.
	s = roundTrip[Shape](t, `{"name":"old"}`)
	s.Kind, s.Circle = ShapeKindCircle, &Circle{Radius: 1}
	sameJSON(t, encode(t, s), `{"name":"old","kind":"circle","radius":1}`)
}

func TestAlternates(t *testing.T) {
	v := roundTrip[Value](t, `null`)
	if !v.Null {
		t.Errorf("null: %+v", v)
	}
	v = roundTrip[Value](t, `"s"`)
	if v.S == nil || *v.S != "s" {
		t.Errorf("string: %+v", v)
	}
	v = roundTrip[Value](t, `[null,"x",{"name":"p","kind":"point"},[]]`)
	if len(v.L) != 4 || !v.L[0].Null || v.L[2].O == nil || v.L[3].L == nil {
		t.Errorf("array: %+v", v)
	}
	sc := roundTrip[Scalar](t, `-12`)
	if sc.I == nil || *sc.I != -12 {
		t.Errorf("number: %+v", sc)
	}
	sc = roundTrip[Scalar](t, `false`)
	if sc.B == nil || *sc.B {
		t.Errorf("bool: %+v", sc)
	}
	sc = roundTrip[Scalar](t, `{"radius":2}`)
	if sc.O == nil {
		t.Errorf("object: %+v", sc)
	}
	c := roundTrip[ColorOrCircle](t, `"ultraviolet"`)
	if c.Color == nil || *c.Color != "ultraviolet" {
		t.Errorf("enum: %+v", c)
	}
	for _, in := range []string{`1`, `true`} {
		if err := json.Unmarshal([]byte(in), &v); err == nil || !strings.Contains(err.Error(), "Value: no alternative accepts") {
			t.Errorf("Value from %s: %v", in, err)
		}
	}
	if _, err := json.Marshal(Value{}); err == nil || !strings.Contains(err.Error(), "Value: no alternative is set") {
		t.Errorf("empty alternate: %v", err)
	}
	if _, err := json.Marshal(Value{Null: true, S: Ptr("x")}); err == nil {
		t.Error("two alternatives accepted")
	}
}

func TestEvents(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	ev, err := DecodeEvent(runtime.Event{Name: "SHAPE_ADDED", Data: json.RawMessage(`{"name":"a","kind":"circle"}`), Timestamp: ts})
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := ev.(*ShapeAddedEvent); !ok || e.Name != "a" || e.Kind != ShapeKindCircle {
		t.Errorf("%#v", ev)
	}
	ev, err = DecodeEvent(runtime.Event{Name: "STOP", Timestamp: ts})
	if _, ok := ev.(*StopEvent); !ok || err != nil {
		t.Errorf("%#v %v", ev, err)
	}
	ev, err = DecodeEvent(runtime.Event{Name: "SHAPE_CHANGED", Data: json.RawMessage(`{"name":"s","kind":"square","side":1}`)})
	if e, ok := ev.(*ShapeChangedEvent); !ok || err != nil || e.Square == nil {
		t.Errorf("%#v %v", ev, err)
	}
	raw := runtime.Event{Name: "FUTURE_EVENT", Data: json.RawMessage(`{"x":1}`), Timestamp: ts}
	ev, err = DecodeEvent(raw)
	if got, ok := ev.(runtime.Event); !ok || err != nil || got.Name != raw.Name || string(got.Data) != `{"x":1}` {
		t.Errorf("unknown event: %#v %v", ev, err)
	}
	if _, err := DecodeEvent(runtime.Event{Name: "SHAPE_ADDED", Data: json.RawMessage(`{"name":1}`)}); err == nil || !strings.Contains(err.Error(), "SHAPE_ADDED") {
		t.Errorf("bad data: %v", err)
	}
}

// fakeCaller records calls and answers with a canned result.
type fakeCaller struct {
	command string
	args    string
	opts    runtime.CallOptions
	reply   string
}

func (f *fakeCaller) Call(ctx context.Context, command string, args, result any, opts ...runtime.CallOption) error {
	f.command = command
	f.args = ""
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return err
		}
		f.args = string(b)
	}
	f.opts = runtime.ApplyCallOptions(opts)
	if result != nil && f.reply != "" {
		return json.Unmarshal([]byte(f.reply), result)
	}
	return nil
}

func TestClient(t *testing.T) {
	ctx := context.Background()
	f := &fakeCaller{}
	c := (*Conn)(nil).WithCaller(f)

	f.reply = `2`
	n, err := c.Draw(ctx, &DrawArgs{Shapes: []Shape{{ShapeBase: ShapeBase{Base: Base{Name: "p"}, Kind: ShapeKindPoint}}}})
	if err != nil || n != 2 || f.command != "draw" {
		t.Fatalf("Draw: %v %v %q", n, err, f.command)
	}
	sameJSON(t, f.args, `{"shapes":[{"name":"p","kind":"point"}]}`)

	f.reply = `[{"name":"a","kind":"circle","radius":1}]`
	list, err := c.ListShapes(ctx, nil)
	if err != nil || len(list) != 1 || list[0].Circle == nil || f.args != "" {
		t.Fatalf("ListShapes: %+v %v %q", list, err, f.args)
	}

	f.reply = `{"name":"a","kind":"point"}`
	s, err := c.GetShape(ctx, &GetShapeArgs{Name: "a"})
	if err != nil || s.Name != "a" {
		t.Fatalf("GetShape: %+v %v", s, err)
	}

	f.reply = `{"deep":[1,{"x":null}]}`
	a, err := c.EchoAny(ctx, &EchoAnyArgs{V: json.RawMessage(`1`)})
	if err != nil || string(a) != f.reply {
		t.Fatalf("EchoAny: %s %v", a, err)
	}

	if err := c.AddShape(ctx, &Shape{ShapeBase: ShapeBase{Base: Base{Name: "b"}, Kind: ShapeKindSquare}, Square: &Square{Side: 1}}); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, f.args, `{"name":"b","kind":"square","side":1}`)

	if err := c.Stop(ctx, nil); err != nil || !f.opts.NoReply {
		t.Errorf("Stop: %v %+v", err, f.opts)
	}
	if err := c.PingOOB(ctx, nil, runtime.OutOfBand()); err != nil || !f.opts.OOB || f.opts.NoReply {
		t.Errorf("PingOOB: %v %+v", err, f.opts)
	}
	if err := c.DeviceAdd(ctx, map[string]any{"driver": "virtio-net", "x-extra": 1}); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, f.args, `{"driver":"virtio-net","x-extra":1}`)
	var raw json.RawMessage
	if err := c.Call(ctx, "x-untyped", map[string]int{"a": 1}, &raw); err != nil || f.command != "x-untyped" {
		t.Errorf("Call went to %q: %v", f.command, err)
	}
}

func TestTables(t *testing.T) {
	if c := Commands["stop"]; c == nil || !c.NoReply || c.Method != "Stop" {
		t.Errorf("stop: %+v", c)
	}
	if c := Commands["ping-oob"]; !c.AllowOOB {
		t.Errorf("ping-oob: %+v", c)
	}
	if c := Commands["conditional"]; c.If != "CONFIG_A && !CONFIG_B" {
		t.Errorf("conditional: %+v", c)
	}
	if c := Commands["device_add"]; !c.FreeForm || !c.Unstable || c.NewArgs != nil {
		t.Errorf("device_add: %+v", c)
	}
	if c := Commands["old-command"]; !c.Deprecated {
		t.Errorf("old-command: %+v", c)
	}
	d := Commands["draw"]
	if d.Since != "1.0" {
		t.Errorf("draw: %+v", d)
	}
	if _, ok := d.NewArgs().(*DrawArgs); !ok {
		t.Errorf("draw args: %T", d.NewArgs())
	}
	if _, ok := d.NewResult().(*int64); !ok {
		t.Errorf("draw result: %T", d.NewResult())
	}
	if _, ok := Commands["add-shape"].NewArgs().(*Shape); !ok || !Commands["add-shape"].Boxed {
		t.Errorf("add-shape args")
	}
	if e := Events["STOP"]; e == nil || e.Type != "StopEvent" {
		t.Errorf("STOP: %+v", e)
	} else if _, ok := e.New().(*StopEvent); !ok {
		t.Errorf("STOP new: %T", e.New())
	}
	if len(Commands) != 13 || len(Events) != 3 {
		t.Errorf("%d commands, %d events", len(Commands), len(Events))
	}
}

// TestUnknownMembersKept: members the bindings do not know survive
// decoding and re-encoding in structs, unions, events, command results
// and arguments, and users can read and set them.
func TestUnknownMembersKept(t *testing.T) {
	for _, tc := range []struct {
		v  any
		in string
	}{
		{new(Circle), `{"radius":2,"x-new":{"a":[1, 2]}}`},
		{new(Optionals), `{"req-any":1,"x-new":true}`},
		{new(Shape), `{"name":"c","kind":"circle","radius":1,"x-new":null}`},
		{new(Shape), `{"name":"g","kind":"group","mode":"single","only":{"name":"c","kind":"square","side":1,"x-deep":1},"x-new":2}`},
		{new(ShapeAddedEvent), `{"name":"a","kind":"point","x-new":"y"}`},
		{new(StopEvent), `{"x-new":[]}`},
	} {
		if err := codec.Unmarshal([]byte(tc.in), tc.v); err != nil {
			t.Fatalf("%T from %s: %v", tc.v, tc.in, err)
		}
		out, err := codec.Marshal(tc.v)
		if err != nil {
			t.Fatalf("%T: %v", tc.v, err)
		}
		sameJSON(t, string(out), tc.in)
	}

	ev, err := DecodeEvent(runtime.Event{Name: "SHAPE_ADDED", Data: json.RawMessage(`{"name":"a","kind":"point","x-new":"y"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(ev.(*ShapeAddedEvent).UnknownMembers["x-new"]); got != `"y"` {
		t.Errorf("event: %q", got)
	}
	ev, err = DecodeEvent(runtime.Event{Name: "STOP", Data: json.RawMessage(`{"x-new":1}`)})
	if err != nil || string(ev.(*StopEvent).UnknownMembers["x-new"]) != "1" {
		t.Errorf("event without data: %#v %v", ev, err)
	}

	f := &fakeCaller{reply: `{"name":"a","kind":"circle","radius":1,"x-new":[1]}`}
	s, err := (*Conn)(nil).WithCaller(f).GetShape(context.Background(), &GetShapeArgs{Name: "a", UnknownMembers: codec.Members{"x-arg": json.RawMessage("true")}})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, f.args, `{"name":"a","x-arg":true}`)
	if got := string(s.UnknownMembers["x-new"]); got != "[1]" {
		t.Errorf("result: %q", got)
	}
}
