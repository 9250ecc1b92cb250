package codec

import "reflect"

// Value makes encoding/json, and so any runtime.Caller, encode and decode
// V with this package: Value{V: x} marshals as Marshal(x), and
// &Value{V: p} unmarshals as Unmarshal(data, p).
type Value struct{ V any }

// MarshalJSON encodes v.V with Marshal.
func (v Value) MarshalJSON() ([]byte, error) { return Marshal(v.V) }

// UnmarshalJSON decodes into v.V, a pointer, with Unmarshal.
func (v Value) UnmarshalJSON(data []byte) error { return Unmarshal(data, v.V) }

// Args returns the arguments value a generated command method passes
// to runtime.Caller.Call: nil (no arguments sent) for nil or a nil
// pointer, else Value{V: args}.
func Args(args any) any {
	if args == nil {
		return nil
	}
	if rv := reflect.ValueOf(args); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil
	}
	return Value{V: args}
}
