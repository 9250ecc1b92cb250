package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/qapi-go/qapi/parser"
	"github.com/qapi-go/qapi/runtime/codec"
)

// argError is a local error about one argument, found before anything was
// sent: it names the member (a dotted path) and what was expected.
type argError struct {
	path string
	msg  string
}

func (e *argError) Error() string {
	if e.path == "" {
		return "arguments: " + e.msg
	}
	return fmt.Sprintf("argument '%s': %s", e.path, e.msg)
}

// checkArgs checks a request's arguments against what the bindings know of
// the command: first against the schema (members, required ones, types,
// enum values, union branches, integer ranges), which names the member and
// the expected type the way a user thinks of them; then by decoding them
// into the command's generated arguments type, the value the typed
// bindings would send. A command the bindings do not know is not checked.
func checkArgs(cmd *command, args map[string]any) error {
	if cmd == nil || cmd.FreeForm || cmd.Def == nil {
		return nil
	}
	if cmd.Def.Arg == nil {
		if len(args) > 0 {
			return errors.New("takes no arguments")
		}
		return nil
	}
	var v any = args
	if args == nil {
		v = map[string]any{}
	}
	if err := validate(cmd.Def.Arg, v, ""); err != nil {
		return err
	}
	if cmd.NewArgs == nil {
		return nil
	}
	typed := cmd.NewArgs()
	// runtime/codec is what the typed bindings decode and send with.
	if err := codec.Unmarshal(encodeJSON(v), typed); err != nil {
		var ce *codec.Error
		if errors.As(err, &ce) && ce.Want != nil {
			return &argError{path: ce.Path, msg: fmt.Sprintf("%s (Go type %s)", ce.Msg, ce.Want)}
		}
		return fmt.Errorf("arguments do not fit %T: %v", typed, err)
	}
	return nil
}

// intRanges bounds QAPI's integer types.
var intRanges = map[string][2]*big.Int{}

func init() {
	for bits, names := range map[uint][2]string{8: {"int8", "uint8"}, 16: {"int16", "uint16"}, 32: {"int32", "uint32"}, 64: {"int64", "uint64"}} {
		min := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), bits-1))
		max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits-1), big.NewInt(1))
		umax := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits), big.NewInt(1))
		intRanges[names[0]] = [2]*big.Int{min, max}
		intRanges[names[1]] = [2]*big.Int{big.NewInt(0), umax}
	}
	intRanges["int"] = intRanges["int64"]
	intRanges["size"] = intRanges["uint64"]
}

// validate checks a decoded JSON value against a schema type as QEMU's
// input visitor would.
func validate(t parser.Type, v any, path string) error {
	mismatch := func() error {
		return &argError{path: path, msg: fmt.Sprintf("expected %s, got %s", describeType(t), jsonKindOf(v))}
	}
	switch t := t.(type) {
	case nil:
		return nil
	case *parser.BuiltinType:
		switch t.JSON {
		case "value":
			return nil
		case "string":
			if _, ok := v.(string); !ok {
				return mismatch()
			}
		case "boolean":
			if _, ok := v.(bool); !ok {
				return mismatch()
			}
		case "null":
			if v != nil {
				return mismatch()
			}
		case "number":
			if _, ok := v.(json.Number); !ok {
				return mismatch()
			}
		case "int":
			n, ok := v.(json.Number)
			if !ok {
				return mismatch()
			}
			i, ok := new(big.Int).SetString(string(n), 10)
			if !ok {
				return &argError{path: path, msg: fmt.Sprintf("expected %s, got %s", describeType(t), n)}
			}
			if r, ok := intRanges[t.Name]; ok && (i.Cmp(r[0]) < 0 || i.Cmp(r[1]) > 0) {
				return &argError{path: path, msg: fmt.Sprintf("%s is out of range for %s (%s to %s)", n, t.Name, r[0], r[1])}
			}
		}
	case *parser.EnumType:
		s, ok := v.(string)
		if !ok {
			return mismatch()
		}
		for _, m := range t.MemberNames() {
			if m == s {
				return nil
			}
		}
		return &argError{path: path, msg: fmt.Sprintf("%q is not a value of %s", s, describeType(t))}
	case *parser.ArrayType:
		a, ok := v.([]any)
		if !ok {
			return mismatch()
		}
		for i, e := range a {
			if err := validate(t.Element, e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case *parser.AlternateType:
		for _, alt := range t.Alternatives.Variants {
			if kindFits(alt.Type, v) {
				return validate(alt.Type, v, path)
			}
		}
		return mismatch()
	case *parser.ObjectType:
		obj, ok := v.(map[string]any)
		if !ok {
			return mismatch()
		}
		return validateObject(t, obj, path)
	}
	return nil
}

func validateObject(t *parser.ObjectType, obj map[string]any, path string) error {
	tag := ""
	if t.Branches != nil {
		name := t.Branches.Tag.Name
		tv, present := obj[name]
		if !present {
			return &argError{path: joinPath(path, name), msg: fmt.Sprintf("missing; it selects the kind of %s: %s", describeObject(t), describeType(t.Branches.Tag.Type))}
		}
		if err := validate(t.Branches.Tag.Type, tv, joinPath(path, name)); err != nil {
			return err
		}
		tag, _ = tv.(string)
	}
	members := objectMembers(t, tag)
	for _, m := range members {
		mv, present := obj[m.Name]
		if !present {
			if !m.Optional {
				return &argError{path: joinPath(path, m.Name), msg: fmt.Sprintf("missing (required, %s)", describeType(m.Type))}
			}
			continue
		}
		if err := validate(m.Type, mv, joinPath(path, m.Name)); err != nil {
			return err
		}
	}
	var unknown []string
	for k := range obj {
		if findMember(members, k) == nil {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := make([]string, len(members))
		for i, m := range members {
			names[i] = m.Name
		}
		return &argError{path: joinPath(path, unknown[0]), msg: fmt.Sprintf("unknown member of %s (it has: %s)", describeObject(t), strings.Join(names, ", "))}
	}
	return nil
}

func describeObject(t *parser.ObjectType) string {
	if t.IsImplicit() {
		return "the arguments"
	}
	return t.Name
}

// kindFits reports whether v's JSON kind is the one alternative t takes,
// the way QEMU dispatches an alternate on the value's type.
func kindFits(t parser.Type, v any) bool {
	switch v.(type) {
	case nil:
		return t.JSONType() == "null"
	case bool:
		return t.JSONType() == "boolean"
	case json.Number:
		return t.JSONType() == "int" || t.JSONType() == "number"
	case string:
		return t.JSONType() == "string"
	case []any:
		return t.JSONType() == "array"
	case map[string]any:
		return t.JSONType() == "object"
	}
	return false
}
