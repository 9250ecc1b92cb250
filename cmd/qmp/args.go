package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/qapi-go/qapi/parser"
)

// buildArgs turns "key=value" words into a command's arguments, reading
// each value as the schema types its member: "123" is a string for a str
// member and a number for an int one, where qmp-shell would guess. A value
// the schema does not type (an unknown command or member, 'any') is guessed
// as qmp-shell does: JSON when it parses as JSON, a string otherwise.
func buildArgs(cmd *command, words []string) (map[string]any, error) {
	tree, err := parseKeyValues(words)
	if err != nil {
		return nil, err
	}
	if len(tree.keys) == 0 {
		return nil, nil
	}
	var argType parser.Type
	if cmd != nil && cmd.Def != nil && cmd.Def.Arg != nil {
		argType = cmd.Def.Arg
	}
	v, err := buildValue(argType, tree, "")
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func buildValue(t parser.Type, n *kvNode, path string) (any, error) {
	if n.leaf {
		return leafValue(t, n.text, path)
	}
	switch t := t.(type) {
	case *parser.ObjectType:
		return buildObject(t, n, path)
	case *parser.AlternateType:
		for _, v := range t.Alternatives.Variants {
			if o, ok := v.Type.(*parser.ObjectType); ok {
				return buildObject(o, n, path)
			}
		}
	case nil:
		return buildObject(nil, n, path)
	case *parser.BuiltinType:
		if t.JSON == "value" {
			return buildObject(nil, n, path)
		}
	}
	return nil, &argError{path: path, msg: fmt.Sprintf("expected %s, got nested keys", describeType(t))}
}

func buildObject(o *parser.ObjectType, n *kvNode, path string) (map[string]any, error) {
	obj := make(map[string]any, len(n.keys))
	var members []*parser.ObjectMember
	if o != nil {
		tag := ""
		if o.Branches != nil {
			if c := n.children[o.Branches.Tag.Name]; c != nil && c.leaf {
				tag = unquote(c.text)
			}
		}
		members = objectMembers(o, tag)
	}
	for _, k := range n.keys {
		var mt parser.Type
		if m := findMember(members, k); m != nil {
			mt = m.Type
		}
		v, err := buildValue(mt, n.children[k], joinPath(path, k))
		if err != nil {
			return nil, err
		}
		obj[k] = v
	}
	return obj, nil
}

// leafValue reads the text of one "key=value" value as type t.
func leafValue(t parser.Type, text, path string) (any, error) {
	bad := func() error {
		return &argError{path: path, msg: fmt.Sprintf("expected %s, got %q", describeType(t), text)}
	}
	switch t := t.(type) {
	case *parser.EnumType:
		return unquote(text), nil
	case *parser.BuiltinType:
		switch t.JSON {
		case "string":
			return unquote(text), nil
		case "int":
			if _, err := strconv.ParseInt(text, 10, 64); err != nil {
				if _, err := strconv.ParseUint(text, 10, 64); err != nil {
					return nil, bad()
				}
			}
			return json.Number(text), nil
		case "number":
			if _, err := strconv.ParseFloat(text, 64); err != nil {
				return nil, bad()
			}
			return json.Number(text), nil
		case "boolean":
			switch text {
			case "true", "on", "yes":
				return true, nil
			case "false", "off", "no":
				return false, nil
			}
			return nil, bad()
		case "null":
			if text != "null" {
				return nil, bad()
			}
			return nil, nil
		}
	case *parser.ObjectType, *parser.ArrayType:
		if !strings.HasPrefix(text, "{") && !strings.HasPrefix(text, "[") {
			return nil, &argError{path: path, msg: fmt.Sprintf("expected %s as JSON, or nested keys (%s.NAME=VALUE), got %q", describeType(t), path, text)}
		}
		v, err := decodeJSONValue(text)
		if err != nil {
			return nil, &argError{path: path, msg: fmt.Sprintf("bad JSON value: %v", jsonErrorText(err))}
		}
		return v, nil
	}
	return guessValue(text, path)
}

// guessValue reads an untyped value as qmp-shell does: JSON when it is
// JSON (numbers, true, false, null, objects, arrays, "strings"), a plain
// string otherwise.
func guessValue(text, path string) (any, error) {
	if strings.HasPrefix(text, "'") {
		return unquote(text), nil
	}
	v, err := decodeJSONValue(text)
	if err == nil {
		return v, nil
	}
	if strings.HasPrefix(text, "{") || strings.HasPrefix(text, "[") || strings.HasPrefix(text, `"`) {
		return nil, &argError{path: path, msg: fmt.Sprintf("bad JSON value: %v", jsonErrorText(err))}
	}
	return text, nil
}

// unquote strips one level of shell-style quotes: "a b" (JSON string
// syntax, escapes allowed) or 'a b' (taken literally).
func unquote(text string) string {
	if len(text) >= 2 {
		switch {
		case text[0] == '"' && text[len(text)-1] == '"':
			var s string
			if json.Unmarshal([]byte(text), &s) == nil {
				return s
			}
		case text[0] == '\'' && text[len(text)-1] == '\'':
			return text[1 : len(text)-1]
		}
	}
	return text
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// objectMembers lists an object's members on the wire: the common ones,
// plus those of the union branch tag selects (when it is known).
func objectMembers(o *parser.ObjectType, tag string) []*parser.ObjectMember {
	ms := o.Members
	if o.Branches != nil && tag != "" {
		for _, v := range o.Branches.Variants {
			if v.Name == tag {
				if bo, ok := v.Type.(*parser.ObjectType); ok {
					ms = append(append([]*parser.ObjectMember(nil), ms...), bo.Members...)
				}
			}
		}
	}
	return ms
}

func findMember(ms []*parser.ObjectMember, name string) *parser.ObjectMember {
	for _, m := range ms {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// describeType names a type for a message: "int", "RunState", "array of str".
func describeType(t parser.Type) string {
	switch t := t.(type) {
	case nil:
		return "a value"
	case *parser.BuiltinType:
		switch t.JSON {
		case "int":
			return "an integer (" + t.Name + ")"
		case "number":
			return "a number"
		case "boolean":
			return "a boolean (true or false)"
		case "string":
			return "a string"
		}
		return t.Name
	case *parser.EnumType:
		name := t.Name
		if t.IsImplicit() {
			name = "enum"
		}
		return fmt.Sprintf("%s (one of %s)", name, strings.Join(t.MemberNames(), ", "))
	case *parser.ArrayType:
		return "an array of " + describeType(t.Element)
	case *parser.ObjectType:
		if t.IsImplicit() {
			return "an object"
		}
		return "an object (" + t.Name + ")"
	case *parser.AlternateType:
		var alts []string
		for _, v := range t.Alternatives.Variants {
			alts = append(alts, describeType(v.Type))
		}
		return t.Name + " (" + strings.Join(alts, " or ") + ")"
	}
	return t.(parser.Definition).Common().Name
}
