package codec

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// kind is what a plan does with a value.
type kind uint8

const (
	kindFallback kind = iota // handed to encoding/json
	kindBool
	kindString
	kindInt
	kindUint
	kindFloat
	kindRaw // json.RawMessage: any JSON value, kept verbatim
	kindPtr
	kindSlice
	kindStruct    // a struct with a Members field
	kindUnion     // a struct with a Members field tagged codec:"union,..."
	kindAlternate // a struct of codec:"alternative" fields
	kindEmpty     // struct{}: an object without members
)

// plan is how the codec encodes and decodes one Go type. Plans are built
// once per type and shared.
type plan struct {
	kind kind
	typ  reflect.Type
	bits int   // kindInt, kindUint, kindFloat
	elem *plan // kindPtr, kindSlice
	obj  *objectPlan
	alts []*alternative
}

// objectPlan describes a struct or union: its members, flattened
// through embedded structs.
type objectPlan struct {
	fields  []*field
	byName  map[string]*field
	members []int // index path of the Members field

	// Unions only.
	tag      *field // the discriminator, one of fields
	tagName  string
	branches []*branch
	byTag    map[string]*branch
	// untagged is the branch of a value without the discriminator
	// (codec:"branch,VALUE,untagged"), nil when none.
	untagged *branch
}

// field is one known member.
type field struct {
	name     string
	key      []byte // `"name":`
	index    []int
	goName   string
	p        *plan
	required bool // neither omitempty nor omitzero
	omitZero bool // omitzero: absent when the Go value is zero
	omitNil  bool // omitempty: absent when nil, false, 0, "" or empty
}

// branch is a union's branch field: a pointer to a struct or union.
type branch struct {
	value    string // the discriminator value that selects it
	goName   string
	index    []int
	p        *plan // the pointed-to type's plan
	required bool  // nil is not a valid branch when selected
	untagged bool  // also the branch of a value without the discriminator
}

// alternative is one field of an alternate.
type alternative struct {
	json   jsonKind
	index  int
	goName string
	p      *plan // the field's plan (nil for the null alternative)
}

var (
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	membersType    = reflect.TypeFor[Members]()
)

// plans caches completed plans by type.
var plans sync.Map // reflect.Type -> *plan

// buildMu serialises plan building, so that a recursive type's plan is
// published only when complete.
var buildMu sync.Mutex

func planFor(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	b := builder{building: map[reflect.Type]*plan{}}
	p := b.plan(t)
	for t, p := range b.building {
		if p.kind == kindUnion {
			for _, br := range p.obj.branches {
				br.required = branchRequired(br.p)
			}
		}
		plans.Store(t, p)
	}
	return p
}

type builder struct {
	building map[reflect.Type]*plan
}

func (b *builder) plan(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	if p, ok := b.building[t]; ok {
		return p
	}
	p := &plan{typ: t}
	b.building[t] = p
	if t == rawMessageType {
		p.kind = kindRaw
		return p
	}
	switch t.Kind() {
	case reflect.Bool:
		p.kind = kindBool
	case reflect.String:
		p.kind = kindString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p.kind, p.bits = kindInt, t.Bits()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		p.kind, p.bits = kindUint, t.Bits()
	case reflect.Float32, reflect.Float64:
		p.kind, p.bits = kindFloat, t.Bits()
	case reflect.Pointer:
		p.kind, p.elem = kindPtr, b.plan(t.Elem())
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			break // []byte: encoding/json's base64
		}
		p.kind, p.elem = kindSlice, b.plan(t.Elem())
	case reflect.Struct:
		b.structPlan(p, t)
	}
	if p.kind >= kindBool && p.kind <= kindFloat &&
		(t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(marshalerType)) {
		// A type with its own JSON methods (not one of ours) keeps them.
		*p = plan{typ: t}
	}
	return p
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	marshalerType   = reflect.TypeFor[json.Marshaler]()
)

// structPlan fills p for struct type t: an alternate, a union, a struct
// with a Members field, struct{}; anything else is left to encoding/json.
func (b *builder) structPlan(p *plan, t reflect.Type) {
	if t.NumField() == 0 {
		p.kind = kindEmpty
		return
	}
	if alts := b.alternatives(t); alts != nil {
		p.kind, p.alts = kindAlternate, alts
		return
	}
	o := &objectPlan{byName: map[string]*field{}}
	var branches []*branch
	var unionTag string
	isUnion := false
	// Breadth-first over embedded structs: a shallower field hides a
	// deeper one of the same name, as in Go and encoding/json.
	type level struct {
		t     reflect.Type
		index []int
	}
	current := []level{{t, nil}}
	seen := map[reflect.Type]bool{}
	for len(current) > 0 {
		var next []level
		for _, l := range current {
			if seen[l.t] {
				continue
			}
			seen[l.t] = true
			for i := 0; i < l.t.NumField(); i++ {
				sf := l.t.Field(i)
				index := append(append([]int(nil), l.index...), i)
				if sf.Anonymous && sf.Type.Kind() == reflect.Struct && sf.Tag.Get("json") == "" {
					next = append(next, level{sf.Type, index})
					continue
				}
				if !sf.IsExported() {
					continue
				}
				ctag := sf.Tag.Get("codec")
				if sf.Type == membersType {
					if o.members == nil {
						o.members = index
						// A struct that embeds a union (an event whose
						// data is one) is that union.
						isUnion = false
						if rest, ok := strings.CutPrefix(ctag, "union,"); ok {
							isUnion, unionTag = true, rest
						}
					}
					continue
				}
				if rest, ok := strings.CutPrefix(ctag, "branch,"); ok {
					if sf.Type.Kind() == reflect.Pointer && sf.Type.Elem().Kind() == reflect.Struct {
						value, opt, _ := strings.Cut(rest, ",")
						branches = append(branches, &branch{value: value, goName: sf.Name, index: index, untagged: opt == "untagged"})
					}
					continue
				}
				name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
				if name == "-" && opts == "" {
					continue
				}
				if name == "" {
					name = sf.Name
				}
				if _, dup := o.byName[name]; dup {
					continue // hidden by a shallower field
				}
				f := &field{name: name, index: index, goName: sf.Name}
				f.key = appendString(nil, name)
				f.key = append(f.key, ':')
				for _, opt := range strings.Split(opts, ",") {
					switch opt {
					case "omitempty":
						f.omitNil = true
					case "omitzero":
						f.omitZero = true
					}
				}
				f.required = !f.omitNil && !f.omitZero
				o.fields = append(o.fields, f)
				o.byName[name] = f
			}
		}
		current = next
	}
	if o.members == nil {
		return // not generated: encoding/json's
	}
	// Members go out in field order, embedded fields in place.
	slices.SortStableFunc(o.fields, func(a, b *field) int { return slices.Compare(a.index, b.index) })
	for _, f := range o.fields {
		f.p = b.plan(t.FieldByIndex(f.index).Type)
	}
	p.kind, p.obj = kindStruct, o
	if !isUnion {
		return
	}
	p.kind = kindUnion
	o.tagName = unionTag
	o.tag = o.byName[unionTag]
	o.byTag = map[string]*branch{}
	for _, br := range branches {
		// Only the union's own branch fields: siblings of its Members.
		if !slices.Equal(br.index[:len(br.index)-1], o.members[:len(o.members)-1]) {
			continue
		}
		o.branches = append(o.branches, br)
		br.p = b.plan(t.FieldByIndex(br.index).Type.Elem())
		o.byTag[br.value] = br
		if br.untagged && o.untagged == nil {
			o.untagged = br
		}
	}
	// Whether a branch is required needs its plan complete, which
	// recursion may not have reached yet: planFor settles it.
}

// branchRequired reports whether a selected branch must be non-nil: its
// type is a union, or has a required member.
func branchRequired(p *plan) bool {
	if p.kind == kindUnion {
		return true
	}
	if p.obj == nil {
		return false
	}
	for _, f := range p.obj.fields {
		if f.required {
			return true
		}
	}
	return false
}

// alternatives returns the plans of t's fields if t is an alternate.
func (b *builder) alternatives(t reflect.Type) []*alternative {
	var alts []*alternative
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Tag.Get("codec") != "alternative" || !sf.IsExported() {
			continue
		}
		a := &alternative{index: i, goName: sf.Name}
		switch {
		case sf.Type.Kind() == reflect.Bool:
			a.json = jsonNull
		case sf.Type.Kind() == reflect.Slice:
			a.json, a.p = jsonArray, b.plan(sf.Type)
		case sf.Type.Kind() == reflect.Pointer:
			a.p = b.plan(sf.Type)
			switch a.p.elem.kind {
			case kindString:
				a.json = jsonString
			case kindInt, kindUint, kindFloat:
				a.json = jsonNumber
			case kindBool:
				a.json = jsonBool
			case kindStruct, kindUnion, kindEmpty:
				a.json = jsonObject
			default:
				continue
			}
		default:
			continue
		}
		alts = append(alts, a)
	}
	return alts
}
