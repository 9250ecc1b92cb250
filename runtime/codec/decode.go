package codec

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
)

// Unmarshal decodes the JSON value data into the value v points to.
// Generated types are decoded as the package documentation says; other
// types as encoding/json decodes them. On error, *v may be partly filled.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &Error{Type: reflect.TypeOf(v), Offset: 0, Msg: "Unmarshal needs a non-nil pointer"}
	}
	t := rv.Type().Elem()
	d := decoder{scanner: scanner{data: data}}
	err := d.value(planFor(t), rv.Elem())
	if err == nil {
		d.skipSpace()
		if d.off < len(d.data) {
			err = d.errorf("invalid character %s after top-level value", quoteChar(d.data[d.off]))
		}
	}
	if pe, ok := err.(*pathError); ok {
		return pe.finish(t)
	}
	return err
}

type decoder struct {
	scanner
}

// typeError reports a JSON value of the wrong kind for p.
func (d *decoder) typeError(p *plan, got jsonKind) error {
	return d.wantError(p, "cannot decode %s into %s", got, p.typ)
}

// wantError is an error about a JSON value that does not fit p's type
// (the wrong kind, or a number out of range): it records the type for
// Error.Want.
func (d *decoder) wantError(p *plan, format string, args ...any) error {
	pe := d.errorf(format, args...).(*pathError)
	pe.want = p.typ
	return pe
}

// value decodes the JSON value at the offset into v (settable).
func (d *decoder) value(p *plan, v reflect.Value) error {
	k := d.peek()
	if k == jsonNull && p.kind != kindAlternate && p.kind != kindFallback {
		if err := d.literal("null"); err != nil {
			return err
		}
		switch p.kind {
		case kindPtr, kindSlice:
			v.SetZero()
		case kindRaw:
			v.SetBytes([]byte("null"))
		}
		return nil // as encoding/json: null leaves other values alone
	}
	switch p.kind {
	case kindBool:
		switch k {
		case jsonBool:
			if d.data[d.off] == 't' {
				v.SetBool(true)
				return d.literal("true")
			}
			v.SetBool(false)
			return d.literal("false")
		}
	case kindString:
		if k == jsonString {
			s, err := d.string()
			v.SetString(s)
			return err
		}
	case kindInt:
		if k == jsonNumber {
			start := d.off
			lit, err := d.number()
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(string(lit), 10, p.bits)
			if err != nil {
				d.off = start
				return d.wantError(p, "cannot decode number %s into %s", lit, p.typ)
			}
			v.SetInt(n)
			return nil
		}
	case kindUint:
		if k == jsonNumber {
			start := d.off
			lit, err := d.number()
			if err != nil {
				return err
			}
			n, err := strconv.ParseUint(string(lit), 10, p.bits)
			if err != nil {
				d.off = start
				return d.wantError(p, "cannot decode number %s into %s", lit, p.typ)
			}
			v.SetUint(n)
			return nil
		}
	case kindFloat:
		if k == jsonNumber {
			start := d.off
			lit, err := d.number()
			if err != nil {
				return err
			}
			f, err := strconv.ParseFloat(string(lit), p.bits)
			if err != nil {
				d.off = start
				return d.wantError(p, "cannot decode number %s into %s", lit, p.typ)
			}
			v.SetFloat(f)
			return nil
		}
	case kindRaw:
		start := d.off
		if err := d.skip(); err != nil {
			return err
		}
		v.SetBytes(append([]byte(nil), d.data[start:d.off]...))
		return nil
	case kindPtr:
		if v.IsNil() {
			v.Set(reflect.New(p.typ.Elem()))
		}
		return d.value(p.elem, v.Elem())
	case kindSlice:
		if k == jsonArray {
			return d.slice(p, v)
		}
	case kindStruct, kindUnion:
		if k == jsonObject {
			return d.object(p, v)
		}
	case kindAlternate:
		return d.alternate(p, v)
	case kindEmpty:
		if k == jsonObject {
			return d.skip()
		}
	case kindFallback:
		start := d.off
		if err := d.skip(); err != nil {
			return err
		}
		if err := json.Unmarshal(d.data[start:d.off], v.Addr().Interface()); err != nil {
			d.off = start
			pe := d.errorf("%v", err).(*pathError)
			if te, ok := err.(*json.UnmarshalTypeError); ok {
				pe.want = te.Type
				if te.Field != "" {
					pe.segs = append(pe.segs, "."+te.Field)
				}
			}
			return pe
		}
		return nil
	}
	if k == jsonInvalid {
		return d.unexpected("beginning of value")
	}
	return d.typeError(p, k)
}

func (d *decoder) slice(p *plan, v reflect.Value) error {
	if err := d.enter(); err != nil {
		return err
	}
	d.off++ // '['
	if v.IsNil() {
		v.Set(reflect.MakeSlice(p.typ, 0, 4))
	} else {
		v.SetLen(0)
	}
	d.skipSpace()
	if d.off < len(d.data) && d.data[d.off] == ']' {
		d.off++
		d.depth--
		return nil
	}
	for i := 0; ; i++ {
		if v.Len() == v.Cap() {
			v.Grow(1)
		}
		v.SetLen(i + 1)
		e := v.Index(i)
		e.SetZero()
		if err := d.value(p.elem, e); err != nil {
			return inElement(err, i)
		}
		end, err := d.next(']')
		if err != nil {
			return err
		}
		if end {
			d.depth--
			return nil
		}
	}
}

// object decodes a struct or a union.
func (d *decoder) object(p *plan, v reflect.Value) error {
	if err := d.enter(); err != nil {
		return err
	}
	d.off++ // '{'
	v.SetZero()
	st := objectState{p: p, v: v}
	d.skipSpace()
	if d.off < len(d.data) && d.data[d.off] == '}' {
		d.off++
	} else {
		for {
			d.skipSpace()
			raw, plain, err := d.rawString()
			if err != nil {
				return err
			}
			if err := d.consume(':', "':' after object key"); err != nil {
				return err
			}
			d.skipSpace()
			var key string
			if plain {
				// Look up without allocating; allocate only to keep it.
				if f := st.p.obj.byName[string(raw)]; f != nil {
					key = f.name
				} else {
					key = string(raw)
				}
			} else {
				key = string(unquote(raw))
			}
			if err := st.member(d, key); err != nil {
				if pe, ok := err.(*pathError); ok && pe.replayed {
					pe.replayed = false // its path is complete within this object
					return err
				}
				return inMember(err, key)
			}
			end, err := d.next('}')
			if err != nil {
				return err
			}
			if end {
				break
			}
		}
	}
	d.depth--
	return st.finish(d)
}

// objectState is a struct or union being decoded. A union's branch is a
// nested objectState once the discriminator is known.
type objectState struct {
	p        *plan
	v        reflect.Value
	isBranch bool // a plain branch struct: its unknown members go to the union

	// Unions only.
	tagSeen bool
	branch  *objectState
	pending []pendingMember // members that arrived before the discriminator
	unknown Members
}

type pendingMember struct {
	key string
	off int
}

func fieldOf(v reflect.Value, index []int) reflect.Value {
	if len(index) == 1 {
		return v.Field(index[0])
	}
	return v.FieldByIndex(index)
}

// member decodes the member key whose value is at the offset. A plain
// branch's state returns errNotMine, without consuming the value, for a
// key it has no field for.
func (st *objectState) member(d *decoder, key string) error {
	o := st.p.obj
	if f := o.byName[key]; f != nil {
		if f != o.tag || o.tag == nil {
			return d.value(f.p, fieldOf(st.v, f.index))
		}
		return st.discriminator(d, f)
	}
	if st.p.kind == kindUnion {
		if !st.tagSeen {
			st.pending = append(st.pending, pendingMember{key, d.off})
			return d.skip()
		}
		if st.branch != nil {
			if err := st.branch.member(d, key); err != errNotMine {
				return err
			}
		}
	} else if st.isBranch {
		return errNotMine
	}
	return st.keep(d, key)
}

var errNotMine = errors.New("not a member of this branch")

// keep consumes the value at the offset as an unknown member.
func (st *objectState) keep(d *decoder, key string) error {
	start := d.off
	if err := d.skip(); err != nil {
		return err
	}
	if st.unknown == nil {
		st.unknown = Members{}
	}
	st.unknown[key] = append(json.RawMessage(nil), d.data[start:d.off]...)
	return nil
}

func (st *objectState) discriminator(d *decoder, f *field) error {
	if st.tagSeen {
		return d.errorf("discriminator %q appears twice", f.name)
	}
	st.tagSeen = true
	fv := fieldOf(st.v, f.index)
	if err := d.value(f.p, fv); err != nil {
		return err
	}
	o := st.p.obj
	if fv.Kind() == reflect.String && fv.String() == "" {
		// An empty discriminator cannot be told from a missing one in
		// the Go value: decode it as missing (see finish), so that the
		// value encodes again.
		st.tagSeen = false
		return nil
	}
	if fv.Kind() == reflect.String {
		if br := o.byTag[fv.String()]; br != nil {
			st.enterBranch(br)
		}
	}
	return st.replay(d)
}

// enterBranch sets the union's branch field br to a new value and
// decodes the members that follow into it.
func (st *objectState) enterBranch(br *branch) {
	bv := reflect.New(br.p.typ)
	fieldOf(st.v, br.index).Set(bv)
	st.branch = &objectState{p: br.p, v: bv.Elem(), isBranch: br.p.kind != kindUnion}
	if br.p.kind != kindStruct && br.p.kind != kindUnion {
		st.branch = nil // struct{}: nothing to decode
	}
}

// replay decodes the members that came before the discriminator (all
// members but the base's, for a value without one): a branch's into
// the branch, the others as unknown. An error's path is complete below
// the union (replayed).
func (st *objectState) replay(d *decoder) error {
	end := d.off
	for _, m := range st.pending {
		d.off = m.off
		if st.branch != nil {
			err := st.branch.member(d, m.key)
			if err == nil {
				continue
			}
			if err != errNotMine {
				if pe, ok := err.(*pathError); ok && !pe.replayed {
					inMember(err, m.key)
					pe.replayed = true
				}
				return err
			}
		}
		if err := st.keep(d, m.key); err != nil {
			return err
		}
	}
	st.pending = nil
	d.off = end
	return nil
}

// pendingIn reports whether a member that came before the discriminator
// is one of branch br's.
func (st *objectState) pendingIn(br *branch) bool {
	for _, m := range st.pending {
		if knows(br.p, m.key) {
			return true
		}
	}
	return false
}

// finish completes the value once its object has ended.
func (st *objectState) finish(d *decoder) error {
	if st.p.kind == kindUnion && !st.tagSeen {
		// No discriminator: an older QEMU's, from before the type
		// became a union.
		if br := st.p.obj.untagged; br != nil && st.pendingIn(br) {
			// The older release's struct was the base and this
			// branch: decode into it; the discriminator stays empty.
			st.enterBranch(br)
			if err := st.replay(d); err != nil {
				if pe, ok := err.(*pathError); ok {
					pe.replayed = false // the object has ended: its caller adds its own path
				}
				return err
			}
		} else {
			// Everything that is not a base member is unknown, and
			// UnknownMembers is non-nil.
			end := d.off
			for _, m := range st.pending {
				d.off = m.off
				if err := st.keep(d, m.key); err != nil {
					return err
				}
			}
			d.off = end
			if st.unknown == nil {
				st.unknown = Members{}
			}
		}
	}
	if st.branch != nil {
		if err := st.branch.finish(d); err != nil {
			return err
		}
	}
	if st.unknown != nil {
		fieldOf(st.v, st.p.obj.members).Set(reflect.ValueOf(st.unknown))
	}
	return nil
}

func (d *decoder) alternate(p *plan, v reflect.Value) error {
	k := d.peek()
	for _, a := range p.alts {
		if a.json != k {
			continue
		}
		v.SetZero()
		f := v.Field(a.index)
		if a.json == jsonNull {
			f.SetBool(true)
			return d.literal("null")
		}
		return d.value(a.p, f)
	}
	if k == jsonInvalid {
		return d.unexpected("beginning of value")
	}
	return d.errorf("%s: no alternative accepts %s", p.typ, k)
}
