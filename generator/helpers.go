package generator

import (
	"regexp"

	"github.com/dave/jennifer/jen"
)

// helpers is the unexported support code of every generated package:
// the union and alternate codecs. It is written as Go source; rawCode
// turns its package qualifiers into imports.
const helpers = `
// noReply adds runtime.NoReply to opts.
func noReply(opts []runtime.CallOption) []runtime.CallOption {
	return append([]runtime.CallOption{runtime.NoReply()}, opts...)
}

// argsOrNil returns args, or nil (no arguments sent) when absent is set:
// a nil pointer to an all-optional arguments struct.
func argsOrNil(absent bool, args any) any {
	if absent {
		return nil
	}
	return args
}

// unionBranch is one branch of a union being encoded.
type unionBranch struct {
	tag, field string
	set, required bool
	v          any
}

// marshalUnion encodes a union: base members then the members of the
// branch the discriminator selects, as one flat object.
func marshalUnion(typ, tagName, tag string, base any, unknown map[string]json.RawMessage, branches ...unionBranch) ([]byte, error) {
	if tag == "" {
		return marshalUntagged(typ, tagName, base, unknown, branches)
	}
	var sel *unionBranch
	for i := range branches {
		b := &branches[i]
		if b.tag == tag {
			sel = b
		} else if b.set {
			return nil, fmt.Errorf("%s: branch field %s is set but %s is %q", typ, b.field, tagName, tag)
		}
	}
	if sel != nil && !sel.set && sel.required {
		return nil, fmt.Errorf("%s: %s is %q but branch field %s is nil", typ, tagName, tag, sel.field)
	}
	if sel != nil && len(unknown) > 0 {
		return nil, fmt.Errorf("%s: UnknownBranch is set but %s %q has a branch field", typ, tagName, tag)
	}
	out, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	var rest []byte
	switch {
	case sel != nil && sel.set:
		rest, err = json.Marshal(sel.v)
	case sel == nil && len(unknown) > 0:
		rest, err = json.Marshal(unknown)
	}
	if err != nil {
		return nil, err
	}
	return joinObjects(out, rest), nil
}

// marshalUntagged encodes a union whose discriminator is empty: valid
// only for a value decoded from a reply without the discriminator (an
// older QEMU's, from before the type became a union), which has a non-nil
// UnknownBranch and no branch field set. The discriminator is omitted.
func marshalUntagged(typ, tagName string, base any, unknown map[string]json.RawMessage, branches []unionBranch) ([]byte, error) {
	for _, b := range branches {
		if b.set {
			return nil, fmt.Errorf("%s: branch field %s is set but discriminator %s is not set", typ, b.field, tagName)
		}
	}
	if unknown == nil {
		return nil, fmt.Errorf("%s: discriminator %s is not set", typ, tagName)
	}
	out, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	rest, err := json.Marshal(unknown)
	if err != nil {
		return nil, err
	}
	return joinObjects(dropMember(out, tagName), rest), nil
}

// dropMember removes the top-level member key from the encoded object b.
func dropMember(b []byte, key string) []byte {
	d := json.NewDecoder(bytes.NewReader(b))
	if _, err := d.Token(); err != nil {
		return b
	}
	for d.More() {
		start := int(d.InputOffset()) // at the member, or at the ',' before it
		k, err := d.Token()
		if err != nil {
			return b
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return b
		}
		if k != key {
			continue
		}
		end := int(d.InputOffset())
		if b[start] != ',' && end < len(b) && b[end] == ',' {
			end++ // first member: drop the ',' after it
		}
		return append(b[:start:start], b[end:]...)
	}
	return b
}

// joinObjects merges two encoded JSON objects with disjoint keys.
func joinObjects(a, b []byte) []byte {
	if len(b) < 2 || string(b) == "{}" || string(b) == "null" {
		return a
	}
	if string(a) == "{}" {
		return b
	}
	out := make([]byte, 0, len(a)+len(b))
	out = append(out, a[:len(a)-1]...)
	out = append(out, ',')
	return append(out, b[1:]...)
}

// branchMembers returns the members of the encoded object b that are not
// base members. base is the decoded base: a member is present in b
// exactly when it is non-empty in base, so its encoding names them. The
// result is nil when there are none, unless untagged is set (b has no
// discriminator): then it is non-nil, which marks the value as decoded.
func branchMembers(b []byte, base any, untagged bool) (map[string]json.RawMessage, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	enc, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	var known map[string]json.RawMessage
	if err := json.Unmarshal(enc, &known); err != nil {
		return nil, err
	}
	for k := range known {
		delete(all, k)
	}
	if len(all) == 0 && !untagged {
		return nil, nil
	}
	return all, nil
}

// unmarshalNested decodes a branch that is itself a union from the
// members of b that are not base members.
func unmarshalNested(b []byte, base, v any) error {
	rest, err := branchMembers(b, base, false)
	if err != nil {
		return err
	}
	if rest == nil {
		rest = map[string]json.RawMessage{}
	}
	enc, err := json.Marshal(rest)
	if err != nil {
		return err
	}
	return json.Unmarshal(enc, v)
}

// alternative is one alternative of an alternate being encoded.
type alternative struct {
	field string
	set   bool
	v     any
}

// marshalAlternate encodes the one alternative that is set.
func marshalAlternate(typ string, alts ...alternative) ([]byte, error) {
	var sel *alternative
	for i := range alts {
		if alts[i].set {
			if sel != nil {
				return nil, fmt.Errorf("%s: both %s and %s are set", typ, sel.field, alts[i].field)
			}
			sel = &alts[i]
		}
	}
	if sel == nil {
		return nil, fmt.Errorf("%s: no alternative is set", typ)
	}
	return json.Marshal(sel.v)
}

// JSON value kinds, by which alternates select an alternative.
const (
	kindInvalid = iota
	kindNull
	kindString
	kindNumber
	kindBool
	kindObject
	kindArray
)

// jsonKind is the kind of the JSON value b, from its first byte.
func jsonKind(b []byte) int {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case 'n':
			return kindNull
		case '"':
			return kindString
		case 't', 'f':
			return kindBool
		case '{':
			return kindObject
		case '[':
			return kindArray
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return kindNumber
		}
		return kindInvalid
	}
	return kindInvalid
}

var kindNames = [...]string{"invalid JSON", "null", "a string", "a number", "a boolean", "an object", "an array"}

// alternateError reports a JSON value no alternative accepts.
func alternateError(typ string, b []byte) error {
	return fmt.Errorf("%s: no alternative accepts %s", typ, kindNames[jsonKind(b)])
}
`

var qualRE = regexp.MustCompile(`\b(bytes|json|fmt|runtime)\.([A-Z][A-Za-z0-9]*)`)

// rawCode renders Go source text, turning json., fmt. and runtime.
// qualifiers into jennifer qualified identifiers so that the imports
// follow from use.
func rawCode(src, runtimePath string) jen.Code {
	paths := map[string]string{"bytes": "bytes", "json": jsonPkg, "fmt": "fmt", "runtime": runtimePath}
	s := jen.Null()
	last := 0
	for _, m := range qualRE.FindAllStringSubmatchIndex(src, -1) {
		s.Add(jen.Op(src[last:m[0]]))
		s.Add(jen.Qual(paths[src[m[2]:m[3]]], src[m[4]:m[5]]))
		last = m[1]
	}
	s.Add(jen.Op(src[last:]))
	return s
}
