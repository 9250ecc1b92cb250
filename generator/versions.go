package generator

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/qapi-go/qapi/parser"
)

// This file merges the schemas of several QEMU releases into one model
// (a Range) that the generator turns into one Go API for all of them.
// The rules are in the package documentation, "Releases".

// Release is the checked schema of one QEMU release.
type Release struct {
	// Name is how docs and tables name the release: "7.2", "10.2".
	Name   string
	Schema *parser.Schema
}

// maxReleases bounds a range: availability is a bit set.
const maxReleases = 64

// relSet is a set of releases of a Range, bit i for Releases[i].
type relSet uint64

// Range is one schema for several QEMU releases: every definition,
// member, enum value, union branch and alternative any of them has,
// with the releases that have each. Build it with Merge.
type Range struct {
	// Releases names the releases, oldest first.
	Releases []string
	// Schema is the merged schema: the newest release's definitions
	// and docs, plus what only older releases have (with the docs of
	// the newest release that has it). Members are optional unless
	// every release that has their owner requires them.
	Schema *parser.Schema
	// Renames lists the types the newest release knows under another
	// name than older ones (matched by where they are used).
	Renames []Rename
	// Changes lists the places whose wire type differs between
	// releases, with the type the merged schema uses.
	Changes []TypeChange

	avail map[string]relSet
	// usage: which direction a merged type's values travel.
	files []string // schema file of each release, for messages
}

// Rename is a type QEMU renamed between releases without moving it.
type Rename struct {
	Old, New string // QAPI names
	// OldGo and NewGo are the Go names.
	OldGo, NewGo string
	// Enum is set for enum types (the old constants become aliases too).
	Enum bool
	// LastOld names the newest release that uses the old name.
	LastOld string
	// oldValues are the enum values under the old name.
	oldValues []string
}

// TypeChange is a member, branch, argument or result whose type
// differs between releases.
type TypeChange struct {
	// Where names the place: "ImageInfoSpecificVmdk.extents",
	// "command memsave argument size", "union SocketAddress branch fd".
	Where string
	// Types has the QAPI type (as the release's schema spells it) of
	// each release of the range that has the place, "" for the others.
	Types []string
	// Chosen is the merged schema's type, into which every release's
	// values decode.
	Chosen string
	// Note says what to watch for, when anything ("negative values of
	// older releases do not decode").
	Note string
	// Branch is set for a union that some releases have as a struct
	// without the discriminator whose other members are one branch's
	// (SevInfo in QEMU 7.2: the base and branch sev): the branch that
	// values without the discriminator decode into. See "Releases" in
	// the package documentation.
	Branch string

	owner string // the definition the place belongs to
	// For a struct that became a union: the releases whose struct has
	// the discriminator, and those whose struct lacks it.
	tagged, untagged relSet
}

// key functions: what availability is recorded under.
func defKey(name string) string             { return name }
func memberKey(owner, member string) string { return owner + "." + member }
func valueKey(enum, value string) string    { return enum + "=" + value }
func branchKey(union, value string) string  { return union + "|" + value }

// set returns the releases that have key; all releases when key was
// never recorded (nil Range, or something the merge did not see).
func (r *Range) set(key string) relSet {
	if r == nil {
		return 0
	}
	if s, ok := r.avail[key]; ok {
		return s
	}
	return r.all()
}

func (r *Range) all() relSet {
	if r == nil {
		return 0
	}
	return relSet(1)<<len(r.Releases) - 1
}

// MergeError is an error about a range of releases, before anything is
// generated.
type MergeError struct {
	Release string // the release the problem is found in
	Msg     string
}

func (e *MergeError) Error() string { return "QEMU " + e.Release + ": " + e.Msg }

// Merge merges the schemas of releases, oldest first, into one Range.
// The newest release's docs are the docs. A release given twice, or
// releases that disagree in a way the rules (see the package
// documentation, "Releases") cannot resolve, is an error naming the
// release, the definition and both positions.
func Merge(releases []Release) (*Range, error) {
	if len(releases) == 0 {
		return nil, fmt.Errorf("generator: merge: no releases")
	}
	if len(releases) > maxReleases {
		return nil, fmt.Errorf("generator: merge: %d releases, at most %d", len(releases), maxReleases)
	}
	r := &Range{avail: map[string]relSet{}}
	for i, rel := range releases {
		if rel.Schema == nil {
			return nil, fmt.Errorf("generator: merge: release %q has no schema", rel.Name)
		}
		if !validRelease(rel.Name) {
			return nil, fmt.Errorf("generator: merge: release name %q (of %s) is not a version such as 7.2 or 10.2.1", rel.Name, rel.Schema.File)
		}
		for j := 0; j < i; j++ {
			prev := releases[j]
			c := compareVersions(prev.Name, rel.Name)
			if c != 0 && (prev.Schema == rel.Schema || prev.Schema.File == rel.Schema.File && prev.Schema.File != "") {
				return nil, &MergeError{rel.Name, fmt.Sprintf("schema %s given twice (as QEMU %s and QEMU %s)", rel.Schema.File, prev.Name, rel.Name)}
			}
			switch {
			case c == 0:
				return nil, &MergeError{rel.Name, fmt.Sprintf("release given twice: %s and %s are both QEMU %s", prev.Schema.File, rel.Schema.File, rel.Name)}
			case c > 0 && j == i-1:
				return nil, &MergeError{rel.Name, fmt.Sprintf("releases out of order: QEMU %s (%s) comes after QEMU %s (%s); give them oldest first, the newest last", rel.Name, rel.Schema.File, prev.Name, prev.Schema.File)}
			}
		}
		r.Releases = append(r.Releases, rel.Name)
		r.files = append(r.files, rel.Schema.File)
	}
	// The merged schema starts as a copy of the newest release's,
	// which merging changes.
	base, err := releases[len(releases)-1].Schema.Filter(parser.Filter{})
	if err != nil {
		return nil, fmt.Errorf("generator: merge: %v", err)
	}
	m := &merger{r: r, s: base, byName: map[string]parser.Definition{}, changes: map[string]*TypeChange{},
		renames: map[string]*Rename{}, instances: map[*parser.ObjectType][]instance{}, forms: map[*parser.ObjectType]*structForm{}}
	for _, d := range base.Defs {
		m.byName[d.Common().Name] = d
	}
	for i := len(releases) - 1; i >= 0; i-- {
		if err := m.addRelease(i, releases[i].Schema); err != nil {
			return nil, err
		}
	}
	m.finish()
	// A fresh copy indexes the merged schema (and checks that every
	// reference stays inside it).
	if r.Schema, err = base.Filter(parser.Filter{}); err != nil {
		return nil, fmt.Errorf("generator: merge: %v", err)
	}
	return r, nil
}

// validRelease reports whether name is a dotted version number.
func validRelease(name string) bool {
	if name == "" {
		return false
	}
	for _, p := range strings.Split(name, ".") {
		if _, err := strconv.ParseUint(p, 10, 32); err != nil {
			return false
		}
	}
	return true
}

// compareVersions compares dotted version numbers numerically ("7.2" <
// "10.0"; "10.2" == "10.2.0").
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y uint64
		if i < len(pa) {
			x, _ = strconv.ParseUint(pa[i], 10, 64)
		}
		if i < len(pb) {
			y, _ = strconv.ParseUint(pb[i], 10, 64)
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// ShortRelease turns a QEMU version into the name a range uses for it:
// major.minor ("10.2.2" -> "10.2"). QEMU changes its schema only in
// feature releases.
func ShortRelease(version string) string {
	p := strings.Split(strings.TrimSpace(version), ".")
	if len(p) > 2 {
		p = p[:2]
	}
	return strings.Join(p, ".")
}

// instance is one release's form of a merged object type: its flat
// members (true: required).
type instance struct {
	rel     int
	members map[string]bool
}

type merger struct {
	r      *Range
	s      *parser.Schema // the merged schema being built
	byName map[string]parser.Definition
	// changes by place; renames by old name.
	changes   map[string]*TypeChange
	renames   map[string]*Rename
	instances map[*parser.ObjectType][]instance
	forms     map[*parser.ObjectType]*structForm

	// per release
	rel  int
	old  *parser.Schema
	corr map[parser.Definition]parser.Definition
}

func (m *merger) errorf(info *parser.SourceInfo, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	if info != nil {
		msg = info.Loc() + ": " + msg
	}
	return &MergeError{m.r.Releases[m.rel], msg}
}

func loc(info *parser.SourceInfo) string {
	if info == nil {
		return "(built in)"
	}
	return info.Loc()
}

func (m *merger) addRelease(ri int, old *parser.Schema) error {
	m.rel, m.old, m.corr = ri, old, map[parser.Definition]parser.Definition{}
	bit := relSet(1) << ri
	// 1. Same names.
	var queue [][2]parser.Definition
	for _, d := range old.Defs {
		if _, ok := d.(*parser.ArrayType); ok {
			continue
		}
		nd, ok := m.byName[d.Common().Name]
		if !ok {
			continue
		}
		if !sameKind(d, nd) {
			return m.errorf(d.Common().Info, "%s is %s here but %s in QEMU %s (%s): a definition cannot change kind",
				d.Common().Name, article(d.Meta()), article(nd.Meta()), m.r.Releases[len(m.r.Releases)-1], loc(nd.Common().Info))
		}
		m.corr[d] = nd
		queue = append(queue, [2]parser.Definition{d, nd})
	}
	// 2. Types used at the same place under another name.
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		m.positions(p[0], p[1], func(a, b parser.Type) {
			a, b = elem(a), elem(b)
			if a == nil || b == nil {
				return
			}
			if _, ok := a.(*parser.BuiltinType); ok {
				return
			}
			if _, ok := b.(*parser.BuiltinType); ok {
				return
			}
			if _, ok := m.corr[a]; ok {
				return
			}
			if old.Lookup(b.Common().Name) != nil || !sameKind(a, b) || m.isTarget(b) {
				return
			}
			m.corr[a] = b
			m.rename(a, b)
			queue = append(queue, [2]parser.Definition{a, b})
		})
	}
	// 3. What only this release has (or only it and older ones).
	var added []*parser.ObjectType
	for _, d := range old.Defs {
		switch d.(type) {
		case *parser.ArrayType:
			continue
		}
		if _, ok := m.corr[d]; ok {
			continue
		}
		nd := m.addDef(d)
		m.corr[d] = nd
		if o, ok := d.(*parser.ObjectType); ok && (o.Owner != nil || o.Base != nil) {
			added = append(added, o)
		}
	}
	// Links to what may come later: an implicit type's owner, a base.
	for _, o := range added {
		no := m.corr[o].(*parser.ObjectType)
		if o.Owner != nil {
			no.Owner = m.corr[o.Owner]
		}
		if o.Base != nil {
			no.Base = m.corr[o.Base].(*parser.ObjectType)
		}
	}
	// 4. Contents.
	for _, d := range old.Defs {
		nd, ok := m.corr[d]
		if !ok {
			continue
		}
		m.r.avail[defKey(nd.Common().Name)] |= bit
		if err := m.mergeDef(d, nd); err != nil {
			return err
		}
	}
	return nil
}

// isTarget reports whether b already stands for another definition of
// the release being merged.
func (m *merger) isTarget(b parser.Definition) bool {
	for _, v := range m.corr {
		if v == b {
			return true
		}
	}
	return false
}

func article(meta string) string {
	switch meta[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an " + meta
	}
	return "a " + meta
}

// sameKind reports whether a definition of a's kind can stand for one of
// b's kind in another release: a struct can become a union (and is then
// a union without its discriminator), nothing else changes kind.
func sameKind(a, b parser.Definition) bool {
	switch a.(type) {
	case *parser.ObjectType:
		bo, ok := b.(*parser.ObjectType)
		return ok && (!a.(*parser.ObjectType).IsUnion() || bo.IsUnion())
	case *parser.EnumType:
		_, ok := b.(*parser.EnumType)
		return ok
	case *parser.AlternateType:
		_, ok := b.(*parser.AlternateType)
		return ok
	case *parser.Command:
		_, ok := b.(*parser.Command)
		return ok
	case *parser.Event:
		_, ok := b.(*parser.Event)
		return ok
	case *parser.BuiltinType:
		_, ok := b.(*parser.BuiltinType)
		return ok
	}
	return false
}

// elem strips array types.
func elem(t parser.Type) parser.Type {
	for {
		a, ok := t.(*parser.ArrayType)
		if !ok {
			return t
		}
		t = a.Element
	}
}

// positions calls f with the types old and new use at the same place:
// arguments, results, event data, bases, members, branches and
// alternatives of the same name.
func (m *merger) positions(old, new parser.Definition, f func(a, b parser.Type)) {
	pair := func(a, b parser.Type) {
		if a != nil && b != nil {
			if _, ok := a.(*parser.ArrayType); ok != isArray(b) {
				return
			}
			f(a, b)
		}
	}
	switch o := old.(type) {
	case *parser.Command:
		n := new.(*parser.Command)
		pair(argType(o.Arg), argType(n.Arg))
		pair(o.Ret, n.Ret)
	case *parser.Event:
		pair(argType(o.Arg), argType(new.(*parser.Event).Arg))
	case *parser.ObjectType:
		n := new.(*parser.ObjectType)
		if o.Base != nil && n.Base != nil {
			pair(o.Base, n.Base)
		}
		for _, om := range o.Members {
			if nm := memberByName(n, om.Name); nm != nil {
				pair(om.Type, nm.Type)
			}
		}
		if o.Branches != nil && n.Branches != nil {
			for _, v := range o.Branches.Variants {
				if nv := variantByName(n.Branches.Variants, v.Name); nv != nil {
					pair(v.Type, nv.Type)
				}
			}
		}
	case *parser.AlternateType:
		n := new.(*parser.AlternateType)
		for _, v := range o.Alternatives.Variants {
			if nv := variantByName(n.Alternatives.Variants, v.Name); nv != nil {
				pair(v.Type, nv.Type)
			}
		}
	}
}

func isArray(t parser.Type) bool { _, ok := t.(*parser.ArrayType); return ok }

func memberByName(o *parser.ObjectType, name string) *parser.ObjectMember {
	for _, m := range o.Members {
		if m.Name == name {
			return m
		}
	}
	return nil
}

func enumMember(e *parser.EnumType, name string) *parser.EnumMember {
	for _, m := range e.Members {
		if m.Name == name {
			return m
		}
	}
	return nil
}

func variantByName(vs []*parser.Variant, name string) *parser.Variant {
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// rename records that old type a is called b in the merged schema.
func (m *merger) rename(a, b parser.Definition) {
	oldGo, newGo := goNameOf(a), goNameOf(b)
	if oldGo == "" || newGo == "" || oldGo == newGo {
		return
	}
	if prev, ok := m.renames[oldGo]; ok {
		if prev.New == b.Common().Name {
			return
		}
	}
	rn := &Rename{Old: a.Common().Name, New: b.Common().Name, OldGo: oldGo, NewGo: newGo, LastOld: m.r.Releases[m.rel]}
	if e, ok := a.(*parser.EnumType); ok {
		rn.Enum = true
		rn.oldValues = e.MemberNames()
	}
	m.renames[oldGo] = rn
}

// goNameOf is the Go type name a definition gets ("" when none): named
// types their own, the inline arguments of a command NameArgs (an
// event's data are the event's type).
func goNameOf(d parser.Definition) string {
	c := d.Common()
	if !c.IsImplicit() {
		return typeIdent(c.Name)
	}
	if o, ok := d.(*parser.ObjectType); ok {
		if cmd, ok := o.Owner.(*parser.Command); ok {
			return argsTypeName(cmd)
		}
	}
	return ""
}

// module returns the merged schema's module called name, adding it.
func (m *merger) module(name string) *parser.Module {
	for _, mod := range m.s.Modules {
		if mod.Name == name {
			return mod
		}
	}
	mod := &parser.Module{Name: name}
	m.s.Modules = append(m.s.Modules, mod)
	return mod
}

// addDef copies a definition only older releases have into the merged
// schema, without what it refers to: mergeDef adds the contents (enum
// values, members, branches, alternatives, arguments and results)
// pointing into the merged schema, and addRelease the links (base,
// owner).
func (m *merger) addDef(d parser.Definition) parser.Definition {
	var c parser.Definition
	switch d := d.(type) {
	case *parser.BuiltinType:
		c = &parser.BuiltinType{Defn: d.Defn, JSON: d.JSON, CType: d.CType}
	case *parser.EnumType:
		c = &parser.EnumType{Defn: d.Defn, Prefix: d.Prefix}
	case *parser.ObjectType:
		x := &parser.ObjectType{Defn: d.Defn}
		if d.Branches != nil {
			// The discriminator is the release's until finish links
			// the merged member.
			x.Branches = &parser.Branches{Info: d.Branches.Info, Tag: d.Branches.Tag}
		}
		c = x
	case *parser.AlternateType:
		a := d.Alternatives
		tag := &parser.ObjectMember{Member: a.Tag.Member, Type: m.mapType(a.Tag.Type)} // QType
		c = &parser.AlternateType{Defn: d.Defn, Alternatives: &parser.Alternatives{Info: a.Info, Tag: tag}}
	case *parser.Command:
		c = &parser.Command{Defn: d.Defn, Gen: d.Gen, SuccessResponse: d.SuccessResponse, Boxed: d.Boxed,
			AllowOOB: d.AllowOOB, AllowPreconfig: d.AllowPreconfig, Coroutine: d.Coroutine}
	case *parser.Event:
		c = &parser.Event{Defn: d.Defn, Boxed: d.Boxed}
	default:
		panic(fmt.Sprintf("generator: merge: unexpected definition %T", d))
	}
	cc := c.Common()
	if cc.Module != nil {
		cc.Module = m.module(cc.Module.Name)
		cc.Module.Entities = append(cc.Module.Entities, c)
	}
	m.s.Defs = append(m.s.Defs, c)
	m.byName[cc.Name] = c
	return c
}

// mapType is the merged schema's type for type t of the release being
// merged.
func (m *merger) mapType(t parser.Type) parser.Type {
	if t == nil {
		return nil
	}
	if a, ok := t.(*parser.ArrayType); ok {
		e := m.mapType(a.Element)
		name := e.Common().Name + "List"
		if d, ok := m.byName[name].(*parser.ArrayType); ok {
			return d
		}
		x := &parser.ArrayType{Defn: a.Defn, Element: e}
		x.Name = name
		if e.Common().Module != nil {
			x.Module = m.module(e.Common().Module.Name)
			x.Module.Entities = append(x.Module.Entities, x)
		}
		m.s.Defs = append(m.s.Defs, x)
		m.byName[name] = x
		return x
	}
	if c, ok := m.corr[t]; ok {
		return c.(parser.Type)
	}
	if b, ok := m.byName[t.Common().Name].(parser.Type); ok {
		return b // built-ins
	}
	panic("generator: merge: type " + t.Common().Name + " has no counterpart")
}

// typeName spells a type as the schema does: "str", "[ImageInfo]".
func typeName(t parser.Type) string {
	if t == nil {
		return "(none)"
	}
	if a, ok := t.(*parser.ArrayType); ok {
		return "[" + typeName(a.Element) + "]"
	}
	return t.Common().Name
}

// place records the type t has at place where in the release being
// merged and reconciles it with the merged schema's type cur: it
// returns the type the merged schema uses from now on.
func (m *merger) place(owner, where string, info *parser.SourceInfo, t, cur parser.Type) (parser.Type, error) {
	mt := m.mapType(t)
	tc := m.changes[where]
	if tc == nil {
		tc = &TypeChange{Where: where, Types: make([]string, len(m.r.Releases)), owner: owner}
		m.changes[where] = tc
	}
	tc.Types[m.rel] = typeName(t)
	if cur == nil || sameType(mt, cur) {
		return mt, nil
	}
	switch {
	case decodes(cur, mt, map[[2]parser.Type]bool{}) == "":
		// The newer type takes the older one's values.
	case decodes(mt, cur, map[[2]parser.Type]bool{}) == "":
		cur = mt
	default:
		newest := m.r.Releases[len(m.r.Releases)-1]
		var at *parser.SourceInfo
		if d := m.byName[owner]; d != nil {
			at = d.Common().Info
		}
		return nil, m.errorf(info, "%s is %s here but %s in a newer release (up to QEMU %s; %s), and neither type's values decode into the other: %s",
			where, typeName(t), typeName(cur), newest, loc(at), decodes(cur, mt, map[[2]parser.Type]bool{}))
	}
	tc.Chosen = typeName(cur)
	if n := numberNote(mt, cur); n != "" {
		tc.Note = n
	}
	return cur, nil
}

// placeArg is place for the arguments of a command or the data of an
// event, which are objects in every release.
func (m *merger) placeArg(owner, where string, info *parser.SourceInfo, t, cur *parser.ObjectType) (*parser.ObjectType, error) {
	r, err := m.place(owner, where, info, t, argType(cur))
	if err != nil {
		return nil, err
	}
	o, ok := r.(*parser.ObjectType)
	if !ok {
		// place picks one of two object types.
		return nil, m.errorf(info, "%s: merged to %s, which is not an object type", where, typeName(r))
	}
	return o, nil
}

// argType is a command's or event's arguments as a parser.Type: nil
// (not a nil *ObjectType) when there are none.
func argType(o *parser.ObjectType) parser.Type {
	if o == nil {
		return nil
	}
	return o
}

func sameType(a, b parser.Type) bool {
	if aa, ok := a.(*parser.ArrayType); ok {
		bb, ok := b.(*parser.ArrayType)
		return ok && sameType(aa.Element, bb.Element)
	}
	return a == b
}

// intRange is the range of QAPI's integer types.
var intRange = map[string][2]float64{
	"int": {-1 << 63, 1<<63 - 1}, "int8": {-1 << 7, 1<<7 - 1}, "int16": {-1 << 15, 1<<15 - 1},
	"int32": {-1 << 31, 1<<31 - 1}, "int64": {-1 << 63, 1<<63 - 1},
	"uint8": {0, 1<<8 - 1}, "uint16": {0, 1<<16 - 1}, "uint32": {0, 1<<32 - 1},
	"uint64": {0, 1<<64 - 1}, "size": {0, 1<<64 - 1},
}

// numberNote says which values of integer type from do not fit integer
// type to, "" when all do.
func numberNote(from, to parser.Type) string {
	f, ok1 := intRange[from.Common().Name]
	t, ok2 := intRange[to.Common().Name]
	if !ok1 || !ok2 || f[0] >= t[0] && f[1] <= t[1] {
		return ""
	}
	if f[0] < t[0] {
		return "negative values of " + from.Common().Name + " do not fit " + to.Common().Name
	}
	return "values of " + from.Common().Name + " above " + strconv.FormatFloat(t[1], 'f', 0, 64) + " do not fit " + to.Common().Name
}

// decodes says why values of type from do not decode into the Go type
// of to, "" when they all do (or, for integers, when only values out of
// range do not: see numberNote). Members a type does not know are kept
// on decoding, so an object decodes into another when the other's
// required members are all required in it with types that decode.
func decodes(to, from parser.Type, seen map[[2]parser.Type]bool) string {
	if sameType(from, to) {
		return ""
	}
	if seen[[2]parser.Type{to, from}] {
		return ""
	}
	seen[[2]parser.Type{to, from}] = true
	if alt, ok := to.(*parser.AlternateType); ok {
		if fa, ok := from.(*parser.AlternateType); ok {
			for _, v := range fa.Alternatives.Variants {
				if why := decodes(to, v.Type, seen); why != "" {
					return why
				}
			}
			return ""
		}
		for _, v := range alt.Alternatives.Variants {
			if altKind(v.Type) == altKind(from) {
				return decodes(v.Type, from, seen)
			}
		}
		return fmt.Sprintf("alternate %s has no alternative for a JSON %s", to.Common().Name, from.JSONType())
	}
	if a, ok := to.(*parser.ArrayType); ok {
		if b, ok := from.(*parser.ArrayType); ok {
			return decodes(a.Element, b.Element, seen)
		}
		return "an array does not take " + typeName(from)
	}
	if b, ok := to.(*parser.BuiltinType); ok && b.Name == "any" {
		return ""
	}
	kind := func(t parser.Type) string {
		switch t := t.(type) {
		case *parser.EnumType:
			return "string"
		case *parser.BuiltinType:
			if _, ok := intRange[t.Name]; ok {
				return "int"
			}
			return t.JSON
		case *parser.ObjectType:
			return "object"
		}
		return t.JSONType()
	}
	kt, kf := kind(to), kind(from)
	switch {
	case kt == "object" && kf == "object":
		o, f := to.(*parser.ObjectType), from.(*parser.ObjectType)
		for _, tm := range o.Members {
			if tm.Optional || o.Branches != nil && tm == o.Branches.Tag {
				continue
			}
			fm := memberByName(f, tm.Name)
			if fm == nil || fm.Optional {
				return fmt.Sprintf("%s requires member '%s', which %s does not", o.Name, tm.Name, f.Name)
			}
			if why := decodes(tm.Type, fm.Type, seen); why != "" {
				return why
			}
		}
		return ""
	case kt == kf && kt != "object":
		return ""
	case kt == "number" && kf == "int":
		return ""
	}
	return fmt.Sprintf("%s does not take %s", typeName(to), typeName(from))
}

// mergeDef merges definition d of the release being merged into its
// counterpart nd of the merged schema.
func (m *merger) mergeDef(d, nd parser.Definition) error {
	bit := relSet(1) << m.rel
	switch d := d.(type) {
	case *parser.EnumType:
		ne := nd.(*parser.EnumType)
		for i, v := range d.Members {
			m.r.avail[valueKey(ne.Name, v.Name)] |= bit
			if enumMember(ne, v.Name) != nil {
				continue
			}
			// After the value it follows here, or first.
			at := 0
			if i > 0 {
				for j, x := range ne.Members {
					if x.Name == d.Members[i-1].Name {
						at = j + 1
					}
				}
			}
			ne.Members = append(ne.Members[:at:at], append([]*parser.EnumMember{v}, ne.Members[at:]...)...)
		}
	case *parser.ObjectType:
		return m.mergeObject(d, nd.(*parser.ObjectType))
	case *parser.AlternateType:
		na := nd.(*parser.AlternateType)
		for _, v := range d.Alternatives.Variants {
			m.r.avail[branchKey(na.Name, v.Name)] |= bit
			where := "alternate " + na.Name + " alternative " + v.Name
			if nv := variantByName(na.Alternatives.Variants, v.Name); nv != nil {
				t, err := m.place(na.Name, where, v.Info, v.Type, nv.Type)
				if err != nil {
					return err
				}
				nv.Type = t
				continue
			}
			t, err := m.place(na.Name, where, v.Info, v.Type, nil)
			if err != nil {
				return err
			}
			for _, nv := range na.Alternatives.Variants {
				if altKind(nv.Type) == altKind(t) {
					return m.errorf(v.Info, "alternate %s: alternative '%s' is a JSON %s, and so is alternative '%s' in a newer release (%s): a value of that kind would be ambiguous",
						na.Name, v.Name, t.JSONType(), nv.Name, loc(nv.Info))
				}
			}
			na.Alternatives.Variants = append(na.Alternatives.Variants, &parser.Variant{Member: v.Member, Type: t})
		}
	case *parser.Command:
		nc := nd.(*parser.Command)
		if d.Gen != nc.Gen && nc.Arg != nil {
			return m.errorf(d.Info, "command %s has %s arguments here but %s ones in a newer release (%s)",
				d.Name, map[bool]string{true: "typed", false: "free-form"}[d.Gen], map[bool]string{true: "typed", false: "free-form"}[nc.Gen], loc(nc.Info))
		}
		switch {
		case d.Arg == nil && nc.Arg != nil:
			// No arguments: the command takes none of the members
			// here.
			m.instances[nc.Arg] = append(m.instances[nc.Arg], instance{rel: m.rel, members: map[string]bool{}})
		case d.Arg != nil:
			t, err := m.placeArg(d.Name, "command "+d.Name+" arguments", d.Info, d.Arg, nc.Arg)
			if err != nil {
				return err
			}
			nc.Arg = t
		}
		if d.Ret != nil || nc.Ret != nil {
			if d.Ret != nil {
				t, err := m.place(d.Name, "command "+d.Name+" result", d.Info, d.Ret, nc.Ret)
				if err != nil {
					return err
				}
				nc.Ret = t
			}
		}
	case *parser.Event:
		ne := nd.(*parser.Event)
		switch {
		case d.Arg == nil && ne.Arg != nil:
			m.instances[ne.Arg] = append(m.instances[ne.Arg], instance{rel: m.rel, members: map[string]bool{}})
		case d.Arg != nil:
			t, err := m.placeArg(d.Name, "event "+d.Name+" data", d.Info, d.Arg, ne.Arg)
			if err != nil {
				return err
			}
			ne.Arg = t
		}
	}
	return nil
}

func (m *merger) mergeObject(o, no *parser.ObjectType) error {
	bit := relSet(1) << m.rel
	inst := instance{rel: m.rel, members: map[string]bool{}}
	for _, om := range o.Members {
		inst.members[om.Name] = !om.Optional
	}
	m.instances[no] = append(m.instances[no], inst)
	// A struct that became a union: its members beyond the base are
	// those of the branch its value selects (see structForm).
	var branch *parser.ObjectType
	if !o.IsUnion() && no.IsUnion() {
		f := m.structForm(no)
		if memberByName(o, no.Branches.Tag.Name) != nil {
			// It has the discriminator: a value selects a branch,
			// whose members this release may lack.
			f.tagged |= bit
			for _, v := range no.Branches.Variants {
				if vt, ok := v.Type.(*parser.ObjectType); ok && !vt.IsEmpty() {
					m.instances[vt] = append(m.instances[vt], inst)
				}
			}
		} else if v := structBranch(o, no); v != nil {
			// Without it: the base and the one branch that has its
			// other members.
			f.branch[m.rel] = v.Name
			branch = v.Type.(*parser.ObjectType)
			m.instances[branch] = append(m.instances[branch], inst)
		} else {
			f.branch[m.rel] = ""
		}
	}
	for _, om := range o.Members {
		nm := memberByName(no, om.Name)
		if nm == nil && branch != nil {
			nm = memberByName(branch, om.Name)
		}
		if nm == nil && no.IsUnion() && !o.IsUnion() {
			// A member of the struct a union was: now in a branch.
			nm = branchMember(no, om.Name)
		}
		if nm == nil {
			nm = m.addMember(o, no, om)
			if nm == nil {
				return m.errorf(om.Info, "%s: member '%s' has no place in %s", o.Name, om.Name, no.Name)
			}
		}
		m.r.avail[memberKey(nm.DefinedIn, nm.Name)] |= bit
		t, err := m.place(nm.DefinedIn, m.memberPlace(no, nm), om.Info, om.Type, nm.Type)
		if err != nil {
			return err
		}
		nm.Type = t
	}
	if o.Branches != nil {
		if no.Branches == nil {
			return m.errorf(o.Info, "union %s is a struct in a newer release (%s)", o.Name, loc(no.Info))
		}
		if o.Branches.Tag.Name != no.Branches.Tag.Name {
			return m.errorf(o.Branches.Tag.Info, "union %s: discriminator '%s' here, '%s' in a newer release (%s)",
				o.Name, o.Branches.Tag.Name, no.Branches.Tag.Name, loc(no.Branches.Tag.Info))
		}
		for _, v := range o.Branches.Variants {
			m.r.avail[branchKey(no.Name, v.Name)] |= bit
			where := "union " + no.Name + " branch " + v.Name
			if nv := variantByName(no.Branches.Variants, v.Name); nv != nil {
				t, err := m.place(no.Name, where, v.Info, v.Type, nv.Type)
				if err != nil {
					return err
				}
				nv.Type = t
				continue
			}
			t, err := m.place(no.Name, where, v.Info, v.Type, nil)
			if err != nil {
				return err
			}
			// finish links the branch to its value.
			no.Branches.Variants = append(no.Branches.Variants, &parser.Variant{Member: v.Member, Type: t})
		}
	}
	return nil
}

// structForm is what the releases that have a union as a struct say
// of it.
type structForm struct {
	tagged relSet         // releases whose struct has the discriminator
	branch map[int]string // the others: the branch of the struct's other members ("" for none; see structBranch)
}

func (m *merger) structForm(u *parser.ObjectType) *structForm {
	f := m.forms[u]
	if f == nil {
		f = &structForm{branch: map[int]string{}}
		m.forms[u] = f
	}
	return f
}

// structBranch returns the branch of union u that holds the members of
// struct o (a release's form of u without the discriminator) other
// than u's base members: the one plain-struct branch that has them
// all; nil when o has no other members, or when no branch or several
// have them all.
func structBranch(o, u *parser.ObjectType) *parser.Variant {
	var rest []string
	for _, om := range o.Members {
		if memberByName(u, om.Name) == nil {
			rest = append(rest, om.Name)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	var found *parser.Variant
	for _, v := range u.Branches.Variants {
		vt, ok := v.Type.(*parser.ObjectType)
		if !ok || vt.IsUnion() {
			continue
		}
		all := true
		for _, name := range rest {
			if memberByName(vt, name) == nil {
				all = false
				break
			}
		}
		if all {
			if found != nil {
				return nil
			}
			found = v
		}
	}
	return found
}

// structFormChange is the TypeChange of union u, which the releases of
// f have as a struct: the rule each release's values decode by.
func (m *merger) structFormChange(u *parser.ObjectType, f *structForm) TypeChange {
	r := m.r
	tag := u.Branches.Tag.Name
	tc := TypeChange{Where: "type " + u.Name, Types: make([]string, len(r.Releases)), Chosen: "union on " + tag,
		owner: u.Name, tagged: f.tagged}
	var untagged relSet
	branches := map[string]bool{}
	for i := range f.branch {
		untagged |= 1 << i
		branches[f.branch[i]] = true
	}
	tc.untagged = untagged
	for i := range r.Releases {
		switch {
		case (f.tagged|untagged)&(1<<i) != 0:
			tc.Types[i] = "struct"
		case r.set(defKey(u.Name))&(1<<i) != 0:
			tc.Types[i] = "union"
		}
	}
	var notes []string
	if f.tagged != 0 {
		notes = append(notes, fmt.Sprintf("the struct of QEMU %s has %s: its values select their branch as the union's do, and the branch members it lacks are optional", r.relList(f.tagged), tag))
	}
	if untagged != 0 {
		if len(branches) == 1 && !branches[""] {
			for b := range branches {
				tc.Branch = b
			}
			notes = append(notes, fmt.Sprintf("the struct of QEMU %s lacks %s and is the base and branch %s: its values decode into that branch with %s empty, and re-encode without %s",
				r.relList(untagged), tag, tc.Branch, tag, tag))
			// The branch, and its type, hold what these releases send.
			r.avail[branchKey(u.Name, tc.Branch)] |= untagged
			r.avail[defKey(variantByName(u.Branches.Variants, tc.Branch).Type.Common().Name)] |= untagged
		} else {
			why := "is not the base and one branch"
			if len(branches) > 1 {
				why = "is the base and a different branch in different releases"
			}
			notes = append(notes, fmt.Sprintf("the struct of QEMU %s lacks %s and %s: its values decode with %s empty, the base's members, and the others in UnknownMembers, and re-encode without %s",
				r.relList(untagged), tag, why, tag, tag))
		}
	}
	tc.Note = strings.Join(notes, "; ")
	return tc
}

// memberPlace names a member's place for TypeChange.Where: the members
// of implicit types are named after the type's owner.
func (m *merger) memberPlace(o *parser.ObjectType, mb *parser.ObjectMember) string {
	owner := mb.DefinedIn
	if owner == "" {
		owner = o.Name
	}
	if t, ok := m.byName[owner].(*parser.ObjectType); ok {
		switch d := t.Owner.(type) {
		case *parser.Command:
			return "command " + d.Name + " argument " + mb.Name
		case *parser.Event:
			return "event " + d.Name + " member " + mb.Name
		case *parser.ObjectType: // a union's inline base
			return d.Name + "." + mb.Name
		}
	}
	return owner + "." + mb.Name
}

// addMember adds member om of old object o to the merged object no (to
// the base it came from when no still has that base) and returns it.
func (m *merger) addMember(o, no *parser.ObjectType, om *parser.ObjectMember) *parser.ObjectMember {
	target := no
	if no.IsUnion() && no.Base != nil {
		target = no.Base
	}
	if od, ok := m.old.Lookup(om.DefinedIn).(*parser.ObjectType); ok && od != o {
		if nd, ok := m.corr[od].(*parser.ObjectType); ok {
			for b := no; b != nil; b = b.Base {
				if b == nd {
					target = nd
				}
			}
		}
	}
	x := &parser.ObjectMember{Member: om.Member, Type: m.mapType(om.Type), Optional: om.Optional, Features: om.Features}
	x.DefinedIn = target.Name
	target.LocalMembers = append(target.LocalMembers, x)
	docTarget := target
	if target.IsImplicit() {
		docTarget = no // an inline base: the union documents it
	}
	if owner, oldOwner := argOwner(docTarget), argOwner(o); owner != nil && oldOwner != nil {
		// Arguments and event data: their command or event documents them.
		addMemberDoc(&owner.Common().Doc, oldOwner.Common().Doc, om.Name)
	} else if !docTarget.IsImplicit() {
		addMemberDoc(&docTarget.Doc, o.Doc, om.Name)
	}
	// Keep Members in step for the lookups of this merge; finish
	// rebuilds them in order.
	rebuildMembers(target, map[*parser.ObjectType]bool{})
	for _, d := range m.s.Defs {
		if d, ok := d.(*parser.ObjectType); ok && d != target && hasBase(d, target) {
			rebuildMembers(d, map[*parser.ObjectType]bool{})
		}
	}
	return x
}

// addMemberDoc gives the merged doc *doc the doc of member name from a
// release's doc old, when *doc lacks one (a member only older releases
// have is documented only there). *doc is replaced by a copy, not
// changed in place: it is the newest release's.
func addMemberDoc(doc **parser.Doc, old *parser.Doc, name string) {
	documented := func(doc *parser.Doc) *parser.DocSection {
		if doc == nil {
			return nil
		}
		if s := doc.Arg(name); s != nil && strings.TrimSpace(s.Text) != "" {
			return s
		}
		return nil
	}
	if sec := documented(old); sec != nil && documented(*doc) == nil {
		*doc = (*doc).WithArg(sec)
	}
}

// argOwner returns the command or event whose implicit arguments (data)
// type t is, or nil.
func argOwner(t *parser.ObjectType) parser.Definition {
	switch d := t.Owner.(type) {
	case *parser.Command, *parser.Event:
		return d
	}
	return nil
}

// branchMember finds member name in a branch of union u.
func branchMember(u *parser.ObjectType, name string) *parser.ObjectMember {
	for _, v := range u.Branches.Variants {
		if vt, ok := v.Type.(*parser.ObjectType); ok {
			if m := memberByName(vt, name); m != nil {
				return m
			}
		}
	}
	return nil
}

func hasBase(o, base *parser.ObjectType) bool {
	for b := o.Base; b != nil; b = b.Base {
		if b == base {
			return true
		}
	}
	return false
}

// rebuildMembers sets o.Members to the base's members then the local ones.
func rebuildMembers(o *parser.ObjectType, done map[*parser.ObjectType]bool) {
	if done[o] {
		return
	}
	done[o] = true
	var ms []*parser.ObjectMember
	if o.Base != nil {
		rebuildMembers(o.Base, done)
		ms = append(ms, o.Base.Members...)
	}
	o.Members = append(ms, o.LocalMembers...)
}

// finish settles what depends on every release: member lists, which
// members are required, the recorded renames and type changes.
func (m *merger) finish() {
	done := map[*parser.ObjectType]bool{}
	for _, d := range m.s.Defs {
		if o, ok := d.(*parser.ObjectType); ok {
			rebuildMembers(o, done)
		}
	}
	for _, d := range m.s.Defs {
		o, ok := d.(*parser.ObjectType)
		if !ok {
			continue
		}
		for _, inst := range m.instances[o] {
			for _, mb := range o.Members {
				if !inst.members[mb.Name] {
					mb.Optional = true
				}
			}
		}
	}
	// A discriminator stays a plain value: older releases' values
	// without it decode with it empty (see Unions).
	for _, d := range m.s.Defs {
		if o, ok := d.(*parser.ObjectType); ok && o.Branches != nil {
			if tag := memberByName(o, o.Branches.Tag.Name); tag != nil && tag != o.Branches.Tag {
				// A union only older releases have: its tag is
				// still that release's member.
				o.Branches.Tag = tag
			}
			o.Branches.Tag.Optional = false
			m.linkBranches(o.Branches)
		}
	}
	for _, rn := range m.renames {
		m.r.Renames = append(m.r.Renames, *rn)
	}
	sort.Slice(m.r.Renames, func(i, j int) bool { return m.r.Renames[i].OldGo < m.r.Renames[j].OldGo })
	for _, tc := range m.changes {
		if tc.Chosen != "" {
			m.r.Changes = append(m.r.Changes, *tc)
		}
	}
	for u, f := range m.forms {
		m.r.Changes = append(m.r.Changes, m.structFormChange(u, f))
	}
	sort.Slice(m.r.Changes, func(i, j int) bool { return m.r.Changes[i].Where < m.r.Changes[j].Where })
}

// linkBranches links each branch of a merged union to its value of the
// merged discriminator enum: a branch copied from an older release
// still has that release's value.
func (m *merger) linkBranches(b *parser.Branches) {
	enum, ok := b.Tag.Type.(*parser.EnumType)
	if !ok {
		return
	}
	values := make(map[string]*parser.EnumMember, len(enum.Members))
	for _, v := range enum.Members {
		values[v.Name] = v
	}
	for _, v := range b.Variants {
		v.Value = values[v.Name]
	}
}

// altKind is the JSON kind by which an alternate picks an alternative of
// type t ("int" and "number" are one kind).
func altKind(t parser.Type) string {
	if k := t.JSONType(); k != "int" {
		return k
	}
	return "number"
}
