package parser

import (
	"fmt"
	"strings"
)

// Filter says which parts of a schema Schema.Filter keeps. A nil
// function keeps everything it would be asked about.
type Filter struct {
	// Def is asked about every definition of Schema.Defs.
	Def func(Definition) bool
	// Member is asked about the local members of every kept struct
	// (implicit ones included: a union's inline base, a command's or
	// event's inline arguments).
	Member func(*ObjectMember) bool
	// EnumValue is asked about the values of every kept enum.
	EnumValue func(*EnumMember) bool
	// Branch is asked about the branches of every kept union.
	Branch func(*Variant) bool
}

// Filter returns a schema of the parts of s that f keeps: for a tool
// that works on part of a schema (generator.Subset), or that assembles
// one from others (generator.Merge, whose result is s.Filter(Filter{})
// of the schema it built).
//
// Definitions keep their order, in Defs and in their modules; every
// module stays, with its include directives. Every reference of the
// result points into it: types, bases, members, discriminators, a
// branch's Value, an implicit type's Owner, modules. An object type's
// Members are its base's members, then its kept local ones. Features
// lists only the features the result uses (and the special ones).
// A kept part that refers to a part f drops (a struct to its base, a
// union branch to its value or type, an implicit type to its owner)
// is an error naming both, as is a name defined twice.
//
// s is not changed; the result shares with it only what neither
// changes: source positions, docs, warnings, 'if' conditions, features
// and enum values.
func (s *Schema) Filter(f Filter) (*Schema, error) {
	fl := &filterer{f: f, defs: make(map[Definition]Definition, len(s.Defs)),
		members: map[*ObjectMember]*ObjectMember{}, values: map[*EnumMember]bool{},
		mods: make(map[*Module]*Module, len(s.Modules)), filled: map[*ObjectType]bool{}}
	out := &Schema{File: s.File, Docs: s.Docs, Warnings: s.Warnings, byName: make(map[string]Definition, len(s.Defs))}
	for _, m := range s.Modules {
		nm := &Module{Name: m.Name}
		fl.mods[m] = nm
		out.Modules = append(out.Modules, nm)
	}
	// The definitions, then what they refer to (which may come later).
	for _, d := range s.Defs {
		if f.Def != nil && !f.Def(d) {
			continue
		}
		c := fl.shell(d)
		if c == nil {
			fl.errorf("%s: unexpected definition %T", Describe(d), d)
			continue
		}
		name := c.Common().Name
		if prev := out.byName[name]; prev != nil {
			fl.errorf("%s and %s have the same name", Describe(prev), Describe(c))
			continue
		}
		out.byName[name] = c
		fl.defs[d] = c
		out.Defs = append(out.Defs, c)
	}
	for _, d := range s.Defs {
		if _, ok := fl.defs[d]; ok {
			fl.fill(d)
		}
	}
	for _, m := range s.Modules {
		nm := fl.mods[m]
		for _, e := range m.Entities {
			switch e := e.(type) {
			case *Include:
				nm.Entities = append(nm.Entities, &Include{Module: fl.module(e.Module, "an include directive"), Info: e.Info})
			case Definition:
				if c, ok := fl.defs[e]; ok {
					nm.Entities = append(nm.Entities, c)
				}
			}
		}
	}
	out.Features = usedFeatures(s.Features, out.Defs)
	if len(fl.errs) > 0 {
		return nil, fmt.Errorf("parser: filter: %s", strings.Join(fl.errs, "\n"))
	}
	return out, nil
}

// filterer is the state of one Schema.Filter.
type filterer struct {
	f       Filter
	defs    map[Definition]Definition // kept definitions: original -> copy
	members map[*ObjectMember]*ObjectMember
	values  map[*EnumMember]bool // kept enum values
	mods    map[*Module]*Module
	filled  map[*ObjectType]bool // copies whose contents are done
	errs    []string
}

func (fl *filterer) errorf(format string, args ...any) {
	fl.errs = append(fl.errs, fmt.Sprintf(format, args...))
}

// shell copies what d has of its own, without references to other
// definitions (fill adds those); nil for an unknown kind.
func (fl *filterer) shell(d Definition) Definition {
	defn := *d.Common()
	defn.Module = fl.module(defn.Module, Describe(d))
	switch d := d.(type) {
	case *BuiltinType:
		return &BuiltinType{Defn: defn, JSON: d.JSON, CType: d.CType}
	case *EnumType:
		c := &EnumType{Defn: defn, Prefix: d.Prefix}
		for _, m := range d.Members {
			if fl.f.EnumValue == nil || fl.f.EnumValue(m) {
				c.Members = append(c.Members, m)
				fl.values[m] = true
			}
		}
		return c
	case *ArrayType:
		return &ArrayType{Defn: defn}
	case *ObjectType:
		return &ObjectType{Defn: defn}
	case *AlternateType:
		return &AlternateType{Defn: defn}
	case *Command:
		return &Command{Defn: defn, Gen: d.Gen, SuccessResponse: d.SuccessResponse, Boxed: d.Boxed,
			AllowOOB: d.AllowOOB, AllowPreconfig: d.AllowPreconfig, Coroutine: d.Coroutine}
	case *Event:
		return &Event{Defn: defn, Boxed: d.Boxed}
	}
	return nil
}

// module is the copy of m (nil stays nil).
func (fl *filterer) module(m *Module, user string) *Module {
	if m == nil {
		return nil
	}
	c := fl.mods[m]
	if c == nil {
		fl.errorf("%s is in module %s, which the schema does not list", user, m.Name)
	}
	return c
}

// ref is the copy of definition t, which user refers to (as what).
func (fl *filterer) ref(t Definition, user Definition, what string) Definition {
	c, ok := fl.defs[t]
	if !ok {
		fl.errorf("%s is kept, but its %s %s is not", Describe(user), what, Describe(t))
	}
	return c
}

func (fl *filterer) typeRef(t Type, user Definition, what string) Type {
	if t == nil {
		return nil
	}
	c, _ := fl.ref(t, user, what).(Type)
	return c
}

func (fl *filterer) objectRef(o *ObjectType, user Definition, what string) *ObjectType {
	if o == nil {
		return nil
	}
	c, _ := fl.ref(o, user, what).(*ObjectType)
	return c
}

// member copies object member m of user.
func (fl *filterer) member(m *ObjectMember, user Definition) *ObjectMember {
	c := &ObjectMember{Member: m.Member, Type: fl.typeRef(m.Type, user, "member '"+m.Name+"' type"),
		Optional: m.Optional, Features: m.Features}
	fl.members[m] = c
	return c
}

// fill completes the copy of d with its references.
func (fl *filterer) fill(d Definition) {
	switch d := d.(type) {
	case *ArrayType:
		c := fl.defs[d].(*ArrayType)
		c.Element = fl.typeRef(d.Element, d, "element type")
		if d.Element != nil {
			c.elemName = d.Element.Common().Name
		}
	case *ObjectType:
		fl.object(d)
	case *AlternateType:
		c := fl.defs[d].(*AlternateType)
		a := d.Alternatives
		alts := &Alternatives{Info: a.Info}
		if a.Tag != nil {
			alts.Tag = fl.member(a.Tag, d)
		}
		for _, v := range a.Variants {
			alts.Variants = append(alts.Variants, &Variant{Member: v.Member, Type: fl.typeRef(v.Type, d, "alternative '"+v.Name+"' type")})
		}
		c.Alternatives = alts
	case *Command:
		c := fl.defs[d].(*Command)
		c.Arg = fl.objectRef(d.Arg, d, "argument type")
		c.Ret = fl.typeRef(d.Ret, d, "return type")
	case *Event:
		c := fl.defs[d].(*Event)
		c.Arg = fl.objectRef(d.Arg, d, "data type")
	}
}

// object completes the copy of o, its base's first.
func (fl *filterer) object(o *ObjectType) {
	c := fl.defs[o].(*ObjectType)
	if fl.filled[c] {
		return
	}
	fl.filled[c] = true
	var members []*ObjectMember
	if o.Base != nil {
		if c.Base = fl.objectRef(o.Base, o, "base"); c.Base != nil {
			fl.object(o.Base)
			members = append(members, c.Base.Members...)
		}
	}
	for _, m := range o.LocalMembers {
		if fl.f.Member == nil || fl.f.Member(m) {
			cm := fl.member(m, o)
			c.LocalMembers = append(c.LocalMembers, cm)
			members = append(members, cm)
		}
	}
	c.Members = members[:len(members):len(members)]
	if o.Owner != nil {
		c.Owner = fl.ref(o.Owner, o, "owner")
	}
	if b := o.Branches; b != nil {
		cb := &Branches{Info: b.Info, tagName: b.tagName}
		if b.Tag != nil {
			if cb.Tag = fl.members[b.Tag]; cb.Tag == nil {
				fl.errorf("%s is kept, but its discriminator '%s' is not", Describe(o), b.Tag.Name)
			}
		}
		for _, v := range b.Variants {
			if fl.f.Branch != nil && !fl.f.Branch(v) {
				continue
			}
			if v.Value != nil && !fl.values[v.Value] {
				fl.errorf("%s is kept with its branch '%s', but not the discriminator value '%s'", Describe(o), v.Name, v.Name)
			}
			cb.Variants = append(cb.Variants, &Variant{Member: v.Member, Type: fl.typeRef(v.Type, o, "branch '"+v.Name+"' type"), Value: v.Value})
		}
		c.Branches = cb
	}
}

// usedFeatures filters all (a Schema.Features list) to the special
// features and those defs use.
func usedFeatures(all []*Feature, defs []Definition) []*Feature {
	used := map[string]bool{"deprecated": true, "unstable": true}
	add := func(fs []*Feature) {
		for _, f := range fs {
			used[f.Name] = true
		}
	}
	for _, d := range defs {
		add(d.Common().Features)
		switch d := d.(type) {
		case *ObjectType:
			for _, m := range d.LocalMembers {
				add(m.Features)
			}
		case *EnumType:
			for _, m := range d.Members {
				add(m.Features)
			}
		}
	}
	var out []*Feature
	for _, f := range all {
		if used[f.Name] {
			out = append(out, f)
		}
	}
	return out
}
