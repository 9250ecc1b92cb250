package codec

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Marshal returns the JSON encoding of v. Generated types are encoded as
// the package documentation says; other types as encoding/json encodes
// them. The output has no insignificant space, and strings are escaped
// only where JSON requires it (no HTML escaping).
func Marshal(v any) ([]byte, error) {
	return AppendMarshal(nil, v)
}

// AppendMarshal appends the JSON encoding of v to buf, as Marshal.
func AppendMarshal(buf []byte, v any) ([]byte, error) {
	if v == nil {
		return append(buf, "null"...), nil
	}
	rv := reflect.ValueOf(v)
	e := encoder{buf: buf}
	if err := e.value(planFor(rv.Type()), rv); err != nil {
		if pe, ok := err.(*pathError); ok {
			err = pe.finish(rv.Type())
		}
		return nil, err
	}
	return e.buf, nil
}

type encoder struct {
	buf   []byte
	depth int
}

func (e *encoder) errorf(format string, args ...any) error {
	return &pathError{offset: -1, msg: fmt.Sprintf(format, args...)}
}

func (e *encoder) enter() error {
	e.depth++
	if e.depth > maxDepth {
		return e.errorf("nested deeper than %d levels (a cycle?)", maxDepth)
	}
	return nil
}

func (e *encoder) value(p *plan, v reflect.Value) error {
	switch p.kind {
	case kindBool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case kindString:
		e.buf = appendString(e.buf, v.String())
	case kindInt:
		e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
	case kindUint:
		e.buf = strconv.AppendUint(e.buf, v.Uint(), 10)
	case kindFloat:
		return e.float(v.Float(), p.bits)
	case kindRaw:
		return e.raw(v.Bytes())
	case kindPtr:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if err := e.enter(); err != nil {
			return err
		}
		err := e.value(p.elem, v.Elem())
		e.depth--
		return err
	case kindSlice:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.slice(p, v)
	case kindStruct, kindUnion:
		if err := e.enter(); err != nil {
			return err
		}
		e.buf = append(e.buf, '{')
		first := true
		if err := e.members(p, v, &first); err != nil {
			return err
		}
		e.buf = append(e.buf, '}')
		e.depth--
	case kindAlternate:
		return e.alternate(p, v)
	case kindEmpty:
		e.buf = append(e.buf, "{}"...)
	default:
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return e.errorf("%v", err)
		}
		e.buf = append(e.buf, b...)
	}
	return nil
}

func (e *encoder) slice(p *plan, v reflect.Value) error {
	if err := e.enter(); err != nil {
		return err
	}
	e.buf = append(e.buf, '[')
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.value(p.elem, v.Index(i)); err != nil {
			return inElement(err, i)
		}
	}
	e.buf = append(e.buf, ']')
	e.depth--
	return nil
}

// float encodes f as encoding/json does.
func (e *encoder) float(f float64, bits int) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return e.errorf("unsupported value %s", strconv.FormatFloat(f, 'g', -1, bits))
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	start := len(e.buf)
	e.buf = strconv.AppendFloat(e.buf, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(e.buf) - start
		if n >= 4 && e.buf[len(e.buf)-4] == 'e' && e.buf[len(e.buf)-3] == '-' && e.buf[len(e.buf)-2] == '0' {
			e.buf[len(e.buf)-2] = e.buf[len(e.buf)-1]
			e.buf = e.buf[:len(e.buf)-1]
		}
	}
	return nil
}

// raw writes a json.RawMessage after checking that it is one JSON value.
func (e *encoder) raw(b []byte) error {
	if len(b) == 0 {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	s := scanner{data: b}
	err := s.skip()
	if err == nil {
		s.skipSpace()
		if s.off < len(b) {
			err = s.errorf("invalid character %s after the value", quoteChar(b[s.off]))
		}
	}
	if err != nil {
		return e.errorf("json.RawMessage is not one JSON value: %v", err)
	}
	start, end := 0, len(b)
	for start < end && isSpace(b[start]) {
		start++
	}
	for end > start && isSpace(b[end-1]) {
		end--
	}
	e.buf = append(e.buf, b[start:end]...)
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// isEmpty is omitempty's test.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	case reflect.Slice, reflect.Map, reflect.String, reflect.Array:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	}
	return false
}

func (e *encoder) key(k []byte, first *bool) {
	if !*first {
		e.buf = append(e.buf, ',')
	}
	*first = false
	e.buf = append(e.buf, k...)
}

// members writes the members of struct or union v, without braces.
func (e *encoder) members(p *plan, v reflect.Value, first *bool) error {
	o := p.obj
	var sel *branch
	var bv reflect.Value
	untagged := false
	if p.kind == kindUnion {
		var err error
		sel, bv, untagged, err = e.checkUnion(p, v)
		if err != nil {
			return err
		}
	}
	for _, f := range o.fields {
		fv := fieldOf(v, f.index)
		switch {
		case f.omitNil && isEmpty(fv), f.omitZero && fv.IsZero():
			continue
		case f == o.tag && untagged:
			continue
		}
		e.key(f.key, first)
		if f.required && f.p.kind == kindSlice && fv.IsNil() {
			e.buf = append(e.buf, "[]"...) // QEMU rejects null for an array
			continue
		}
		if err := e.value(f.p, fv); err != nil {
			return inMember(err, f.name)
		}
	}
	if sel != nil && !bv.IsNil() && (sel.p.kind == kindStruct || sel.p.kind == kindUnion) {
		if err := e.members(sel.p, bv.Elem(), first); err != nil {
			return err
		}
	}
	unknown := fieldOf(v, o.members).Interface().(Members)
	if len(unknown) == 0 {
		return nil
	}
	names := make([]string, 0, len(unknown))
	for k := range unknown {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if o.byName[k] != nil || sel != nil && !bv.IsNil() && knows(sel.p, k) {
			return e.errorf("UnknownMembers has %q, which is a member of %s", k, p.typ)
		}
		if !*first {
			e.buf = append(e.buf, ',')
		}
		*first = false
		e.buf = appendString(e.buf, k)
		e.buf = append(e.buf, ':')
		if err := e.raw(unknown[k]); err != nil {
			return inMember(err, k)
		}
	}
	return nil
}

// knows reports whether struct or union plan p has a member name, in a
// branch too.
func knows(p *plan, name string) bool {
	if p.obj == nil {
		return false
	}
	if p.obj.byName[name] != nil {
		return true
	}
	for _, br := range p.obj.branches {
		if knows(br.p, name) {
			return true
		}
	}
	return false
}

// checkUnion validates union v and returns the branch to write (nil for
// none), its field, and whether the discriminator is to be left out.
func (e *encoder) checkUnion(p *plan, v reflect.Value) (sel *branch, bv reflect.Value, untagged bool, err error) {
	o := p.obj
	tag := ""
	if o.tag != nil {
		tag = fieldOf(v, o.tag.index).String()
	}
	for _, br := range o.branches {
		fv := fieldOf(v, br.index)
		if br.value == tag || tag == "" && br == o.untagged && !fv.IsNil() {
			sel, bv = br, fv
			continue
		}
		if !fv.IsNil() {
			if tag == "" {
				return nil, bv, false, e.errorf("%s: branch field %s is set but discriminator %s is not set", p.typ, br.goName, o.tagName)
			}
			return nil, bv, false, e.errorf("%s: branch field %s is set but %s is %q", p.typ, br.goName, o.tagName, tag)
		}
	}
	if tag == "" {
		if sel != nil {
			// An older release's struct form: the base and the
			// untagged branch, without the discriminator.
			return sel, bv, true, nil
		}
		if fieldOf(v, o.members).IsNil() {
			return nil, bv, false, e.errorf("%s: discriminator %s is not set", p.typ, o.tagName)
		}
		return nil, bv, true, nil
	}
	if sel != nil && bv.IsNil() && sel.required {
		return nil, bv, false, e.errorf("%s: %s is %q but branch field %s is nil", p.typ, o.tagName, tag, sel.goName)
	}
	return sel, bv, false, nil
}

func (e *encoder) alternate(p *plan, v reflect.Value) error {
	var sel *alternative
	for _, a := range p.alts {
		f := v.Field(a.index)
		if a.json == jsonNull && !f.Bool() || a.json != jsonNull && f.IsNil() {
			continue
		}
		if sel != nil {
			return e.errorf("%s: both %s and %s are set", p.typ, sel.goName, a.goName)
		}
		sel = a
	}
	if sel == nil {
		return e.errorf("%s: no alternative is set", p.typ)
	}
	if sel.json == jsonNull {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	return e.value(sel.p, v.Field(sel.index))
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: invalid UTF-8 becomes
// U+FFFD, control characters and U+2028/U+2029 are escaped, as
// encoding/json does; '<', '>' and '&' are not (QEMU does not either).
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
