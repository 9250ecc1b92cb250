package parser

import (
	"path"
	"path/filepath"
	"strings"
)

// Stage 3: building the schema. The builder defines the built-in and
// predefined types, turns every checked expression into IR (creating
// array and implicit object types on the way), then checks every
// definition in order (resolving names, flattening bases, checking
// clashes and unions/alternates), binds doc comments, and sorts the
// definitions into modules. Definition and check order follow the
// reference exactly, because they decide which error is reported first
// and the order of the dump.

type builder struct {
	d         *diag
	s         *Schema
	slashPath bool // paths are fs.FS paths, not OS paths
	schemaDir string
	entities  []Entity
	modules   map[string]*Module
	byFile    map[string]*Module // cache of makeModule
	features  map[string]bool

	visitMark uint64        // for mayClash
	stack     []*ObjectType // for mayClash

	col int // column of the expression being defined, for its implicit and array types
}

// builtinTypes are the built-in types in definition order.
var builtinTypes = [...]struct{ name, json, ctype string }{
	{"str", "string", "char *"},
	{"number", "number", "double"},
	{"int", "int", "int64_t"},
	{"int8", "int", "int8_t"},
	{"int16", "int", "int16_t"},
	{"int32", "int", "int32_t"},
	{"int64", "int", "int64_t"},
	{"uint8", "int", "uint8_t"},
	{"uint16", "int", "uint16_t"},
	{"uint32", "int", "uint32_t"},
	{"uint64", "int", "uint64_t"},
	{"size", "int", "uint64_t"},
	{"bool", "boolean", "bool"},
	{"any", "value", "QObject *"},
	{"null", "null", "QNull *"},
}

// BuiltinModuleName is the name of the pseudo-module of built-in types.
const BuiltinModuleName = "./builtin"

func buildSchema(file string, defs []*defExpr, docs []*Doc, d *diag, slashPath bool) (*Schema, error) {
	s := &Schema{File: file, Docs: docs, byName: make(map[string]Definition, 2*len(defs)+64)}
	b := &builder{d: d, s: s, slashPath: slashPath, modules: map[string]*Module{}, byFile: map[string]*Module{}, features: map[string]bool{}}
	if slashPath {
		b.schemaDir = path.Dir(file)
	} else {
		b.schemaDir = filepath.Dir(file)
	}
	for _, name := range [...]string{"deprecated", "unstable"} {
		b.features[name] = true
		s.Features = append(s.Features, &Feature{Member: Member{Name: name, role: "feature", cname: name}})
	}
	b.makeModule(BuiltinModuleName)
	b.makeModule(file)
	b.defPredefineds()
	for _, e := range defs {
		if err := b.defExpr(e); err != nil {
			return nil, err
		}
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// moduleName is the module name of a file: its path relative to the
// root file's directory.
func (b *builder) moduleName(file string) string {
	if strings.HasPrefix(file, "./") {
		// The reference takes any name starting with "./" for a
		// system module name and keeps it as is.
		return file
	}
	if b.slashPath {
		return slashRel(b.schemaDir, file)
	}
	return osRel(b.schemaDir, file)
}

func osRel(dir, file string) string {
	if filepath.IsAbs(dir) == filepath.IsAbs(file) {
		if r, err := filepath.Rel(dir, file); err == nil {
			return r
		}
	}
	ad, err1 := filepath.Abs(dir)
	af, err2 := filepath.Abs(file)
	if err1 == nil && err2 == nil {
		if r, err := filepath.Rel(ad, af); err == nil {
			return r
		}
	}
	return filepath.Clean(file)
}

// slashRel is a lexical relative path for fs.FS paths (all relative to
// the file system's root).
func slashRel(dir, file string) string {
	dir, file = path.Clean(dir), path.Clean(file)
	if dir == "." {
		return file
	}
	if file == dir {
		return "."
	}
	if strings.HasPrefix(file, dir+"/") {
		return file[len(dir)+1:]
	}
	dparts := strings.Split(dir, "/")
	fparts := strings.Split(file, "/")
	i := 0
	for i < len(dparts) && i < len(fparts) && dparts[i] == fparts[i] && dparts[i] != ".." {
		i++
	}
	for _, p := range dparts[i:] {
		if p == ".." {
			return file // not expressible lexically; keep as is
		}
	}
	var parts []string
	for range dparts[i:] {
		parts = append(parts, "..")
	}
	return strings.Join(append(parts, fparts[i:]...), "/")
}

func (b *builder) makeModule(file string) *Module {
	name := b.moduleName(file)
	m := b.modules[name]
	if m == nil {
		m = &Module{Name: name}
		b.modules[name] = m
		b.s.Modules = append(b.s.Modules, m)
	}
	return m
}

func (b *builder) defDefinition(def Definition) error {
	b.entities = append(b.entities, def)
	c := def.Common()
	if other := b.s.byName[c.Name]; other != nil {
		oc := other.Common()
		if oc.Info != nil {
			where := (&Error{Info: oc.Info, Msg: "previous definition"}).Error()
			return semErrorf(c.Info, "'%s' is already defined\n%s", c.Name, where)
		}
		return semErrorf(c.Info, "%s is already defined", Describe(other))
	}
	b.s.byName[c.Name] = def
	return nil
}

func (b *builder) lookupType(name string) Type {
	t, _ := b.s.byName[name].(Type)
	return t
}

func (b *builder) defPredefineds() {
	for _, t := range builtinTypes {
		b.defDefinition(&BuiltinType{Defn: Defn{Name: t.name, implicit: true}, JSON: t.json, CType: t.ctype})
		b.makeArrayType(t.name, nil)
	}
	b.defDefinition(&ObjectType{Defn: Defn{Name: "q_empty", implicit: true}})
	var values []*EnumMember
	for _, n := range [...]string{"none", "qnull", "qnum", "qstring", "qdict", "qlist", "qbool"} {
		values = append(values, &EnumMember{Member: Member{Name: n, role: "value", cname: CName(n, true), DefinedIn: "QType"}})
	}
	b.defDefinition(&EnumType{Defn: Defn{Name: "QType", implicit: true}, Members: values})
}

// makeFeatures records the features' names for Schema.Features and
// returns them.
func (b *builder) makeFeatures(defs []featureDef, info *SourceInfo, definedIn string) []*Feature {
	if len(defs) == 0 {
		return nil
	}
	feats := make([]*Feature, len(defs))
	slab := make([]Feature, len(defs))
	for i, f := range defs {
		if !b.features[f.name] {
			b.features[f.name] = true
			b.s.Features = append(b.s.Features, &Feature{Member: Member{Name: f.name, Info: info, role: "feature", cname: CName(f.name, true)}})
		}
		slab[i] = Feature{Member: Member{Name: f.name, Info: info, If: f.ifc, DefinedIn: definedIn, role: "feature", cname: CName(f.name, true)}}
		feats[i] = &slab[i]
	}
	return feats
}

// makeArrayType returns the name of the array type of element, defining
// it at its first use.
func (b *builder) makeArrayType(element string, info *SourceInfo) string {
	name := element + "List"
	if b.lookupType(name) == nil {
		d := Defn{Name: name, Info: info, implicit: true}
		if info != nil {
			d.Col = b.col
		}
		b.defDefinition(&ArrayType{Defn: d, elemName: element})
	}
	return name
}

func (b *builder) makeMembers(defs []memberDef, info *SourceInfo) []*ObjectMember {
	members := make([]*ObjectMember, len(defs))
	slab := make([]ObjectMember, len(defs))
	for i, m := range defs {
		typ := m.typ
		if m.array {
			typ = b.makeArrayType(typ, info)
		}
		members[i] = &slab[i]
		slab[i] = ObjectMember{
			Member:   Member{Name: m.name, Info: info, If: m.ifc, role: "member", cname: CName(m.name, true)},
			Optional: m.optional,
			Features: b.makeFeatures(m.features, info, m.name),
			typeName: typ,
		}
	}
	return members
}

func setDefinedIn(members []*ObjectMember, name string) {
	for _, m := range members {
		m.DefinedIn = name
	}
}

// makeImplicitObjectType defines q_obj_NAME-ROLE for inline members and
// returns its name ("" when there are no members) and the type, which
// the caller gives its Owner. When the name is taken, the implicit type
// has several users, a duplicate definition the caller reports: the
// type is then nil.
func (b *builder) makeImplicitObjectType(name string, info *SourceInfo, ifc *IfCond, role string, members []*ObjectMember) (string, *ObjectType, error) {
	if len(members) == 0 {
		return "", nil, nil
	}
	name = "q_obj_" + name + "-" + role
	if b.s.byName[name] != nil {
		return name, nil, nil
	}
	setDefinedIn(members, name)
	t := &ObjectType{Defn: Defn{Name: name, Info: info, Col: b.col, If: ifc, implicit: true}, LocalMembers: members}
	if err := b.defDefinition(t); err != nil {
		return "", nil, err
	}
	return name, t, nil
}

// defineOwned makes def the owner of implicit type t (if any) and defines def.
func (b *builder) defineOwned(t *ObjectType, def Definition) error {
	if t != nil {
		t.Owner = def
	}
	return b.defDefinition(def)
}

func (b *builder) makeVariants(defs []variantDef, info *SourceInfo, definedIn string) []*Variant {
	vs := make([]*Variant, len(defs))
	slab := make([]Variant, len(defs))
	for i, v := range defs {
		typ := v.typ
		if v.array {
			typ = b.makeArrayType(typ, info)
		}
		vs[i] = &slab[i]
		slab[i] = Variant{Member: Member{Name: v.name, Info: info, If: v.ifc, DefinedIn: definedIn, role: "branch", cname: CName(v.name, true)}, typeName: typ}
	}
	return vs
}

func (b *builder) defExpr(e *defExpr) error {
	info := e.info
	if e.meta == "include" {
		b.entities = append(b.entities, &Include{Module: b.makeModule(e.name), Info: info})
		return nil
	}
	b.col = e.col
	defn := Defn{Name: e.name, Info: info, Col: e.col, Doc: e.doc, If: e.ifc}
	defn.Features = b.makeFeatures(e.features, info, e.name)
	switch e.meta {
	case "enum":
		members := make([]*EnumMember, len(e.values))
		slab := make([]EnumMember, len(e.values))
		for i, v := range e.values {
			members[i] = &slab[i]
			slab[i] = EnumMember{
				Member:   Member{Name: v.name, Info: info, If: v.ifc, DefinedIn: e.name, role: "value", cname: CName(v.name, true)},
				Features: b.makeFeatures(v.features, info, v.name),
			}
		}
		t := &EnumType{Defn: defn, Members: members}
		if e.prefix != nil {
			t.Prefix = *e.prefix
		}
		return b.defDefinition(t)
	case "struct":
		members := b.makeMembers(e.members, info)
		setDefinedIn(members, e.name)
		return b.defDefinition(&ObjectType{Defn: defn, LocalMembers: members, baseName: e.base})
	case "union":
		base := e.base
		var implicit *ObjectType
		if e.baseIsDict {
			var err error
			base, implicit, err = b.makeImplicitObjectType(e.name, info, e.ifc, "base", b.makeMembers(e.members, info))
			if err != nil {
				return err
			}
		}
		variants := b.makeVariants(e.variants, info, e.name)
		return b.defineOwned(implicit, &ObjectType{Defn: defn, baseName: base,
			Branches: &Branches{Info: info, Variants: variants, tagName: e.discriminator}})
	case "alternate":
		variants := b.makeVariants(e.variants, info, e.name)
		tag := &ObjectMember{Member: Member{Name: "type", Info: info, DefinedIn: e.name, role: "member", cname: "type"}, typeName: "QType"}
		return b.defDefinition(&AlternateType{Defn: defn, Alternatives: &Alternatives{Info: info, Tag: tag, Variants: variants}})
	case "command":
		arg := e.argName
		var implicit *ObjectType
		if e.membersDict {
			var err error
			arg, implicit, err = b.makeImplicitObjectType(e.name, info, e.ifc, "arg", b.makeMembers(e.members, info))
			if err != nil {
				return err
			}
		}
		ret := e.rets
		if e.retsArray {
			ret = b.makeArrayType(e.retsElem, info)
		}
		return b.defineOwned(implicit, &Command{Defn: defn, argName: arg, retName: ret,
			Gen: e.gen, SuccessResponse: e.successResp, Boxed: e.boxed,
			AllowOOB: e.allowOOB, AllowPreconfig: e.allowPre, Coroutine: e.coroutine})
	case "event":
		arg := e.argName
		var implicit *ObjectType
		if e.membersDict {
			var err error
			arg, implicit, err = b.makeImplicitObjectType(e.name, info, e.ifc, "arg", b.makeMembers(e.members, info))
			if err != nil {
				return err
			}
		}
		return b.defineOwned(implicit, &Event{Defn: defn, argName: arg, Boxed: e.boxed})
	}
	return nil
}

// check checks every entity and binds its doc, then assigns modules and
// checks the doc comments, as the reference does.
func (b *builder) check() error {
	for _, ent := range b.entities {
		def, ok := ent.(Definition)
		if !ok {
			continue
		}
		if err := b.checkDef(def); err != nil {
			return err
		}
		if err := b.connectDoc(def, nil); err != nil {
			return err
		}
	}
	for _, ent := range b.entities {
		var info *SourceInfo
		switch e := ent.(type) {
		case *Include:
			info = e.Info
		case *ArrayType:
			info = e.Element.Common().Info
		case Definition:
			info = e.Common().Info
		}
		file := BuiltinModuleName
		if info != nil {
			file = info.File
		}
		m := b.byFile[file]
		if m == nil {
			m = b.makeModule(file)
			b.byFile[file] = m
		}
		m.Entities = append(m.Entities, ent)
		if def, ok := ent.(Definition); ok {
			def.Common().Module = m
			b.s.Defs = append(b.s.Defs, def)
		}
	}
	for _, doc := range b.s.Docs {
		if err := doc.Check(); err != nil {
			return err
		}
	}
	if len(b.s.Features) > 64 {
		return semErrorf(b.s.Features[64].Info, "Maximum of 64 schema features is permitted")
	}
	return nil
}

// seenMembers records the members seen so far by C name, for clash
// checks, in order. Truncating list (undo) forgets a branch's additions.
// Small sets are searched linearly; a map indexes large ones.
type seenMembers struct {
	list []*Member
	m    map[string]*Member
}

const seenMapThreshold = 16

func newSeen() *seenMembers { return &seenMembers{} }

func (s *seenMembers) get(cname string) *Member {
	if s.m != nil {
		return s.m[cname]
	}
	for _, m := range s.list {
		if m.cname == cname {
			return m
		}
	}
	return nil
}

func (s *seenMembers) add(m *Member) {
	s.list = append(s.list, m)
	if s.m != nil {
		s.m[m.cname] = m
	} else if len(s.list) > seenMapThreshold {
		s.m = make(map[string]*Member, 2*len(s.list))
		for _, x := range s.list {
			s.m[x.cname] = x
		}
	}
}

func (s *seenMembers) undo(to int) {
	if s.m != nil {
		for _, m := range s.list[to:] {
			delete(s.m, m.cname)
		}
	}
	s.list = s.list[:to]
}

// describe names a member in a message about the definition info is in.
func describe(m *Member, info *SourceInfo) string {
	role, meta, in := m.role, "type", m.DefinedIn
	if strings.HasPrefix(in, "q_obj_") {
		in = in[len("q_obj_"):]
		if strings.HasSuffix(in, "-arg") {
			role, meta, in = "parameter", "command", in[:len(in)-len("-arg")]
		} else if strings.HasSuffix(in, "-base") {
			role, in = "base "+role, in[:len(in)-len("-base")]
		}
	}
	if info == nil || in != info.DefnName {
		return role + " '" + m.Name + "' of " + meta + " '" + in + "'"
	}
	return role + " '" + m.Name + "'"
}

func checkClash(m *Member, info *SourceInfo, seen *seenMembers) error {
	if other := seen.get(m.cname); other != nil {
		return semErrorf(info, "%s collides with %s", describe(m, info), describe(other, info))
	}
	seen.add(m)
	return nil
}

func checkFeatureClash(feats []*Feature, info *SourceInfo) error {
	if len(feats) < 2 {
		return nil
	}
	seen := newSeen()
	for _, f := range feats {
		if err := checkClash(&f.Member, info, seen); err != nil {
			return err
		}
	}
	return nil
}

// resolveType looks up type name; what (or, when what is "", the
// description of member m) says who uses it in the error.
func (b *builder) resolveType(name string, info *SourceInfo, what string, m *Member) (Type, error) {
	if t := b.lookupType(name); t != nil {
		return t, nil
	}
	if what == "" && m != nil {
		what = describe(m, info)
	}
	return nil, semErrorf(info, "%s uses unknown type '%s'", what, name)
}

// checkTypeDefn is the check every type shares: feature clashes, and no
// special features on types.
func checkTypeDefn(c *Defn) error {
	if err := checkFeatureClash(c.Features, c.Info); err != nil {
		return err
	}
	for _, f := range c.Features {
		if f.IsSpecial() {
			return semErrorf(c.Info, "feature '%s' is not supported for types", f.Name)
		}
	}
	return nil
}

func (b *builder) checkDef(def Definition) error {
	switch t := def.(type) {
	case *BuiltinType:
		return checkTypeDefn(&t.Defn)
	case *EnumType:
		if err := checkTypeDefn(&t.Defn); err != nil {
			return err
		}
		seen := newSeen()
		for _, m := range t.Members {
			if err := checkClash(&m.Member, t.Info, seen); err != nil {
				return err
			}
		}
		return nil
	case *ArrayType:
		if err := checkTypeDefn(&t.Defn); err != nil {
			return err
		}
		what := ""
		if t.Info != nil {
			what = t.Info.DefnMeta
		}
		elem, err := b.resolveType(t.elemName, t.Info, what, nil)
		if err != nil {
			return err
		}
		if _, ok := elem.(*ArrayType); ok {
			// The reference fails an assertion here.
			return semErrorf(t.Info, "%s uses array type '%s' as an array element; arrays of arrays are not supported", what, t.elemName)
		}
		t.Element = elem
		t.If = elem.Common().If
		return nil
	case *ObjectType:
		return b.checkObject(t)
	case *AlternateType:
		return b.checkAlternate(t)
	case *Command:
		return b.checkCommand(t)
	case *Event:
		return b.checkEvent(t)
	}
	return nil
}

func (b *builder) checkMember(m *ObjectMember) error {
	t, err := b.resolveType(m.typeName, m.Info, "", &m.Member)
	if err != nil {
		return err
	}
	m.Type = t
	return checkFeatureClash(m.Features, m.Info)
}

func (b *builder) checkVariant(v *Variant) error {
	t, err := b.resolveType(v.typeName, v.Info, "", &v.Member)
	if err != nil {
		return err
	}
	v.Type = t
	return nil
}

func (b *builder) checkObject(o *ObjectType) error {
	if o.checkComplete {
		return nil
	}
	if o.checked {
		return semErrorf(o.Info, "object %s contains itself", o.Name)
	}
	o.checked = true
	if err := checkTypeDefn(&o.Defn); err != nil {
		return err
	}
	var seen *seenMembers
	var members []*ObjectMember
	if o.baseName != "" {
		t, err := b.resolveType(o.baseName, o.Info, "'base'", nil)
		if err != nil {
			return err
		}
		base, ok := t.(*ObjectType)
		if !ok || base.Branches != nil {
			return semErrorf(o.Info, "'base' requires a struct type, %s isn't", Describe(t))
		}
		o.Base = base
		if err := b.checkObject(base); err != nil {
			return err
		}
		// The base's members are clash-free among themselves. The first
		// type to extend a base takes over its member list and name index
		// and appends to them, so that a chain of bases costs linear time
		// and memory; any other copies them.
		if base.own != nil {
			seen, members = base.own, base.ownMembers
			base.own, base.ownMembers = nil, nil
		} else {
			seen = &seenMembers{list: make([]*Member, 0, len(base.Members)+len(o.LocalMembers))}
			members = make([]*ObjectMember, 0, len(base.Members)+len(o.LocalMembers))
			for _, m := range base.Members {
				seen.add(&m.Member)
				members = append(members, m)
			}
		}
	} else {
		seen = &seenMembers{list: make([]*Member, 0, len(o.LocalMembers))}
		members = make([]*ObjectMember, 0, len(o.LocalMembers))
	}
	for _, m := range o.LocalMembers {
		if err := b.checkMember(m); err != nil {
			return err
		}
		if err := checkClash(&m.Member, o.Info, seen); err != nil {
			return err
		}
		members = append(members, m)
	}
	if o.Branches != nil {
		if err := b.checkBranches(o.Branches, members, seen); err != nil {
			return err
		}
		if err := b.branchesCheckClash(o.Branches, o.Info, seen); err != nil {
			return err
		}
	}
	// Members is capped so that appending to it never writes into the
	// array a derived type may share.
	o.Members = members[:len(members):len(members)]
	if o.Branches == nil {
		o.own, o.ownMembers = seen, members
	}
	o.checkComplete = true
	return nil
}

// objectCheckClash checks o's members (and, each on its own, o's
// branches) against seen, as the reference does, adding o's members.
// Every object type it is called on is complete, so each of its paths
// through nested branches is clash-free on its own; a clash can only be
// with seen. Subtrees none of whose member names are in seen are skipped,
// which keeps unions nested in unions linear instead of exponential, and
// still reports the first clash in the reference's order.
func (b *builder) objectCheckClash(o *ObjectType, info *SourceInfo, seen *seenMembers) error {
	if !b.mayClash(o, seen) {
		return nil
	}
	for _, m := range o.Members {
		if err := checkClash(&m.Member, info, seen); err != nil {
			return err
		}
	}
	if o.Branches != nil {
		return b.branchesCheckClash(o.Branches, info, seen)
	}
	return nil
}

// branchesCheckClash checks each branch on its own against seen.
func (b *builder) branchesCheckClash(br *Branches, info *SourceInfo, seen *seenMembers) error {
	for _, v := range br.Variants {
		mark := len(seen.list)
		if err := b.objectCheckClash(v.Type.(*ObjectType), info, seen); err != nil {
			return err
		}
		seen.undo(mark)
	}
	return nil
}

// mayClash reports whether a member name of o or of the branches
// reachable from it (at any depth) is in seen. Each type is visited once,
// however many paths lead to it.
func (b *builder) mayClash(o *ObjectType, seen *seenMembers) bool {
	b.visitMark++
	o.visitMark = b.visitMark
	stack := append(b.stack[:0], o)
	defer func() { b.stack = stack[:0] }()
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, m := range t.Members {
			if seen.get(m.cname) != nil {
				return true
			}
		}
		if t.Branches == nil {
			continue
		}
		for _, v := range t.Branches.Variants {
			if vt := v.Type.(*ObjectType); vt.visitMark != b.visitMark {
				vt.visitMark = b.visitMark
				stack = append(stack, vt)
			}
		}
	}
	return false
}

func (b *builder) checkBranches(br *Branches, members []*ObjectMember, seen *seenMembers) error {
	var tag *ObjectMember
	if m := seen.get(CName(br.tagName, true)); m != nil && m.Name == br.tagName {
		for _, om := range members {
			if &om.Member == m {
				tag = om
				break
			}
		}
	}
	base := "'base'"
	if tag == nil {
		return semErrorf(br.Info, "discriminator '%s' is not a member of %s", br.tagName, base)
	}
	br.Tag = tag
	if bt := b.lookupType(tag.DefinedIn); bt != nil && !bt.Common().IsImplicit() {
		base = "base type '" + tag.DefinedIn + "'"
	}
	enum, ok := tag.Type.(*EnumType)
	if !ok {
		return semErrorf(br.Info, "discriminator member '%s' of %s must be of enum type", br.tagName, base)
	}
	if tag.Optional {
		return semErrorf(br.Info, "discriminator member '%s' of %s must not be optional", br.tagName, base)
	}
	if tag.If != nil {
		return semErrorf(br.Info, "discriminator member '%s' of %s must not be conditional", br.tagName, base)
	}
	cases := make(map[string]bool, len(br.Variants))
	for _, v := range br.Variants {
		cases[v.Name] = true
	}
	values := make(map[string]*EnumMember, len(enum.Members))
	for _, m := range enum.Members {
		values[m.Name] = m
		if !cases[m.Name] {
			br.Variants = append(br.Variants, &Variant{
				Member:   Member{Name: m.Name, Info: br.Info, If: m.If, DefinedIn: tag.DefinedIn, role: "branch", cname: m.cname},
				typeName: "q_empty",
			})
		}
	}
	if len(br.Variants) == 0 {
		return semErrorf(br.Info, "union has no branches")
	}
	for _, v := range br.Variants {
		if err := b.checkVariant(v); err != nil {
			return err
		}
		if v.Value = values[v.Name]; v.Value == nil {
			return semErrorf(br.Info, "branch '%s' is not a value of %s", v.Name, Describe(enum))
		}
		o, ok := v.Type.(*ObjectType)
		if !ok {
			return semErrorf(br.Info, "%s cannot use %s", describe(&v.Member, br.Info), Describe(v.Type))
		}
		if err := b.checkObject(o); err != nil {
			return err
		}
	}
	return nil
}

// AlternateQType is the QType an alternate dispatches a value of type t
// on ("QTYPE_QSTRING", "QTYPE_QNUM", ...), "" for 'any' and alternates,
// which cannot be alternatives.
func AlternateQType(t Type) string {
	switch t.JSONType() {
	case "null":
		return "QTYPE_QNULL"
	case "string":
		return "QTYPE_QSTRING"
	case "number", "int":
		return "QTYPE_QNUM"
	case "boolean":
		return "QTYPE_QBOOL"
	case "array":
		return "QTYPE_QLIST"
	case "object":
		return "QTYPE_QDICT"
	}
	return ""
}

func (b *builder) checkAlternate(a *AlternateType) error {
	if err := checkTypeDefn(&a.Defn); err != nil {
		return err
	}
	alts := a.Alternatives
	tag, err := b.resolveType(alts.Tag.typeName, alts.Tag.Info, "", &alts.Tag.Member)
	if err != nil {
		return err
	}
	alts.Tag.Type = tag
	for _, v := range alts.Variants {
		if err := b.checkVariant(v); err != nil {
			return err
		}
	}
	seen := newSeen()
	type owner struct {
		name string
		idx  int
	}
	typesSeen := map[string]owner{}
	for i, v := range alts.Variants {
		if err := checkClash(&v.Member, a.Info, seen); err != nil {
			return err
		}
		qtype := AlternateQType(v.Type)
		if qtype == "" {
			return semErrorf(a.Info, "%s cannot use %s", describe(&v.Member, a.Info), Describe(v.Type))
		}
		conflicting := []string{qtype}
		if qtype == "QTYPE_QSTRING" {
			if enum, ok := v.Type.(*EnumType); ok {
				for _, m := range enum.Members {
					if m.Name == "on" || m.Name == "off" {
						conflicting = append(conflicting, "QTYPE_QBOOL")
					}
					if c := m.Name[0]; c == '-' || c == '+' || c == '.' || isDigit(c) {
						conflicting = append(conflicting, "QTYPE_QNUM")
					}
				}
			} else {
				conflicting = append(conflicting, "QTYPE_QNUM", "QTYPE_QBOOL")
			}
		}
		// The reference iterates a set here; when several earlier
		// alternatives conflict we name the first of them.
		clash := owner{idx: -1}
		for _, qt := range conflicting {
			if o, ok := typesSeen[qt]; ok && (clash.idx < 0 || o.idx < clash.idx) {
				clash = o
			}
		}
		if clash.idx >= 0 {
			return semErrorf(a.Info, "%s can't be distinguished from '%s'", describe(&v.Member, a.Info), clash.name)
		}
		for _, qt := range conflicting {
			typesSeen[qt] = owner{v.Name, i}
		}
	}
	return nil
}

// checkArg resolves and checks the 'data' of a command or event.
func (b *builder) checkArg(name string, info *SourceInfo, boxed bool, meta string) (*ObjectType, error) {
	t, err := b.resolveType(name, info, meta+"'s 'data'", nil)
	if err != nil {
		return nil, err
	}
	o, ok := t.(*ObjectType)
	if !ok {
		return nil, semErrorf(info, "%s's 'data' cannot take %s", meta, Describe(t))
	}
	if o.Branches != nil && !boxed {
		return nil, semErrorf(info, "%s's 'data' can take %s only with 'boxed': true", meta, Describe(t))
	}
	if err := b.checkObject(o); err != nil {
		return nil, err
	}
	if o.HasConditionalMembers() && !boxed {
		return nil, semErrorf(info, "conditional %s arguments require 'boxed': true", meta)
	}
	return o, nil
}

func (b *builder) checkCommand(c *Command) error {
	if err := checkFeatureClash(c.Features, c.Info); err != nil {
		return err
	}
	if c.argName != "" {
		t, err := b.checkArg(c.argName, c.Info, c.Boxed, "command")
		if err != nil {
			return err
		}
		c.Arg = t
	}
	if c.retName != "" {
		t, err := b.resolveType(c.retName, c.Info, "command's 'returns'", nil)
		if err != nil {
			return err
		}
		c.Ret = t
		if !contains(c.Info.Pragma.CommandReturnsExceptions, c.Name) {
			typ := t
			if a, ok := typ.(*ArrayType); ok {
				typ = a.Element
			}
			if _, ok := typ.(*ObjectType); !ok {
				return semErrorf(c.Info, "command's 'returns' cannot take %s", Describe(t))
			}
		}
	}
	return nil
}

func (b *builder) checkEvent(e *Event) error {
	if err := checkFeatureClash(e.Features, e.Info); err != nil {
		return err
	}
	if e.argName != "" {
		t, err := b.checkArg(e.argName, e.Info, e.Boxed, "event")
		if err != nil {
			return err
		}
		e.Arg = t
	}
	return nil
}

// connectDoc binds doc (the definition's own when nil) to what def
// defines, as the reference's connect_doc.
func (b *builder) connectDoc(def Definition, doc *Doc) error {
	c := def.Common()
	if doc == nil {
		doc = c.Doc
	}
	if doc == nil {
		return nil
	}
	if err := connectFeatures(doc, c.Features); err != nil {
		return err
	}
	switch t := def.(type) {
	case *EnumType:
		for _, m := range t.Members {
			if err := doc.ConnectMember(m); err != nil {
				return err
			}
			if err := connectFeatures(doc, m.Features); err != nil {
				return err
			}
		}
	case *ObjectType:
		if t.Base != nil && t.Base.IsImplicit() {
			if err := b.connectDoc(t.Base, doc); err != nil {
				return err
			}
		}
		for _, m := range t.LocalMembers {
			if err := doc.ConnectMember(m); err != nil {
				return err
			}
			if err := connectFeatures(doc, m.Features); err != nil {
				return err
			}
		}
	case *AlternateType:
		for _, v := range t.Alternatives.Variants {
			if err := doc.ConnectMember(v); err != nil {
				return err
			}
		}
	case *Command:
		if a := t.Arg; a != nil && a.IsImplicit() {
			if err := b.connectDoc(a, doc); err != nil {
				return err
			}
		}
		if t.Ret != nil && t.Info != nil {
			doc.EnsureReturns(t.Info)
		}
	case *Event:
		if a := t.Arg; a != nil && a.IsImplicit() {
			if err := b.connectDoc(a, doc); err != nil {
				return err
			}
		}
	}
	return nil
}

func connectFeatures(doc *Doc, feats []*Feature) error {
	for _, f := range feats {
		if err := doc.ConnectFeature(f); err != nil {
			return err
		}
	}
	return nil
}
